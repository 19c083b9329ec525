import { describe, expect, it } from 'vitest';
import {
  configurationFromDevice,
  contactFromUser,
  exclusionReason,
  inactivityChangesAt,
  mailboxRecord,
  organizationDecisionRow,
  skuRecord,
} from '../../../src/sync/documentation-mapping.ts';
import { DEFAULT_SYNC_SETTINGS } from '../../../src/sync/settings.ts';
import type { MailboxUsageRow, GraphUser } from '../../../src/microsoft/tenant-reader.ts';
import type { Tenant } from '../../../src/db/schema.ts';

const now = new Date('2026-12-01T12:00:00Z');
const readable = (signIn: boolean) => ({ signIn, appActivity: false, deviceCheckIn: false });
const context = (over: Partial<Parameters<typeof contactFromUser>[1]> = {}): Parameters<typeof contactFromUser>[1] => ({
  readable: readable(true),
  activity: new Map(),
  mailboxes: new Map<string, MailboxUsageRow>(),
  checkIns: new Map(),
  skuNames: new Map<string, string | undefined>(),
  now,
  inactiveDays: 30,
  ...over,
});

const adele: GraphUser = {
  id: 'u-adele',
  userPrincipalName: 'AdeleV@contoso.com',
  displayName: 'Adele Vance',
  givenName: 'Adele',
  surname: 'Vance',
  jobTitle: 'Retail Manager',
  mail: 'AdeleV@contoso.com',
  businessPhones: ['+1 425 555 0109'],
  proxyAddresses: ['SMTP:AdeleV@contoso.com', 'smtp:adele@contoso.com', 'x500:/o=ExchangeLabs/cn=adele'],
  otherMails: ['adele@gmail.com'],
  accountEnabled: true,
  createdDateTime: '2024-01-10T09:00:00Z',
  signInActivity: { lastSignInDateTime: '2026-11-25T10:00:00Z', lastSuccessfulSignInDateTime: '2026-11-20T10:00:00Z' },
  assignedLicenses: [{ skuId: 'CBDC14AB-D96C-4C30-B9F4-6ADA7CDC1D46' }],
};

describe('a Microsoft user as a contact', () => {
  it('lists the primary mail first, then the smtp aliases and other mails, and leaves x500 addresses out', () => {
    expect(contactFromUser(adele, context()).emails).toEqual([
      'AdeleV@contoso.com',
      'AdeleV@contoso.com',
      'adele@contoso.com',
      'adele@gmail.com',
    ]);
  });

  it('uses the user principal name as primary address when the user has no mail', () => {
    expect(contactFromUser({ ...adele, mail: null, proxyAddresses: [], otherMails: [] }, context()).emails).toEqual(['AdeleV@contoso.com']);
  });

  it('splits the display name when Microsoft has no given name or surname', () => {
    const user = { ...adele, givenName: null, surname: null, displayName: 'Mary Ann  van Dyke' };
    expect(contactFromUser(user, context())).toMatchObject({ firstName: 'Mary Ann van', lastName: 'Dyke' });
    expect(contactFromUser({ ...user, displayName: 'Cher' }, context())).toMatchObject({ firstName: 'Cher', lastName: null });
  });

  it('takes the business phone before the mobile one', () => {
    expect(contactFromUser({ ...adele, mobilePhone: '555' }, context()).phone).toBe('+1 425 555 0109');
    expect(contactFromUser({ ...adele, businessPhones: [], mobilePhone: '555' }, context()).phone).toBe('555');
  });

  it('shows the last successful sign-in, not a failed attempt after it', () => {
    expect(contactFromUser(adele, context()).overlay.lastSignInAt).toBe('2026-11-20T10:00:00Z');
  });

  it('names licenses by the tenant SKU name, else by the public table, never by a bare GUID', () => {
    const tenantNamed = contactFromUser(adele, context({ skuNames: new Map([['cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', 'Our Premium']]) }));
    expect(tenantNamed.overlay.licenses).toEqual([{ skuId: 'CBDC14AB-D96C-4C30-B9F4-6ADA7CDC1D46', name: 'Our Premium' }]);
    expect(contactFromUser(adele, context()).overlay.licenses).toEqual([
      { skuId: 'CBDC14AB-D96C-4C30-B9F4-6ADA7CDC1D46', name: 'Microsoft 365 Business Premium' },
    ]);
  });

  it('finds the mailbox by user principal name whatever its case', () => {
    const mailbox: MailboxUsageRow = { userPrincipalName: 'adelev@contoso.com', storageUsedBytes: 1024, itemCount: 3 };
    const contact = contactFromUser(adele, context({ mailboxes: new Map([['adelev@contoso.com', mailbox]]) }));
    expect(contact.overlay.mailbox).toMatchObject({ storageUsedBytes: 1024, itemCount: 3, quotaBytes: null });
  });

  it('treats Microsoft’s 0001-01-01 "never" as no date', () => {
    const user = { ...adele, lastPasswordChangeDateTime: '0001-01-01T00:00:00Z' };
    expect(contactFromUser(user, context()).overlay.lastPasswordChangeAt).toBeNull();
  });
});

describe('inactivity', () => {
  const old = { ...adele, signInActivity: { lastSuccessfulSignInDateTime: '2026-10-01T00:00:00Z' } };

  it('flags an enabled user without a sign-in within the inactive days', () => {
    expect(contactFromUser(old, context()).overlay.inactive).toBe(true);
    expect(contactFromUser(adele, context()).overlay.inactive).toBe(false);
  });

  it('says "unknown" when no source is readable, and "disabled" for a disabled account', () => {
    const unreadable = contactFromUser(old, context({ readable: readable(false) })).overlay;
    expect(unreadable.inactive).toBeNull();
    expect(unreadable.inactivity).toMatchObject({ state: 'unknown' });
    const disabled = contactFromUser({ ...old, accountEnabled: false }, context()).overlay;
    expect(disabled.inactive).toBeNull();
    expect(disabled.inactivity).toMatchObject({ state: 'disabled' });
  });

  it('knows the first moment a user crosses the inactivity line by time alone', () => {
    const at = inactivityChangesAt([adele, old], context());
    expect(at?.toISOString()).toBe('2026-12-20T10:00:00.000Z');
    expect(inactivityChangesAt([old], context())).toBeNull();
    expect(inactivityChangesAt([adele], context({ readable: readable(false) }))).toBeNull();
  });
});

describe('exclusions', () => {
  it('excludes members of an excluded group, disabled accounts when asked, and users outside the synced domains', () => {
    expect(exclusionReason(adele, DEFAULT_SYNC_SETTINGS, new Set(['u-adele']))).toMatch(/excludes/);
    expect(exclusionReason({ ...adele, accountEnabled: false }, { ...DEFAULT_SYNC_SETTINGS, includeDisabled: false }, new Set())).toMatch(
      /Disabled/,
    );
    expect(exclusionReason(adele, { ...DEFAULT_SYNC_SETTINGS, domains: ['fabrikam.com'] }, new Set())).toMatch(/Outside/);
    expect(exclusionReason(adele, { ...DEFAULT_SYNC_SETTINGS, domains: ['contoso.com'] }, new Set())).toBeNull();
  });
});

describe('a managed device as a configuration', () => {
  it('names the device by its name, else its serial number, else its Intune id', () => {
    expect(configurationFromDevice({ id: 'd1', deviceName: ' LAPTOP-1 ' }, null).name).toBe('LAPTOP-1');
    expect(configurationFromDevice({ id: 'd1', deviceName: '', serialNumber: 'SN9' }, null).name).toBe('SN9');
    expect(configurationFromDevice({ id: 'd1' }, null).name).toBe('Intune device d1');
  });

  it('keeps dates that parse and drops the rest', () => {
    const configuration = configurationFromDevice({ id: 'd1', enrolledDateTime: '2026-01-02T03:04:05Z', lastSyncDateTime: 'soon' }, 'c1');
    expect(configuration.enrolledAt?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(configuration.lastCheckInAt).toBeNull();
    expect(configuration.contactId).toBe('c1');
  });
});

describe('staged records', () => {
  it('keys mailboxes by lower-case user principal name and licenses by lower-case SKU id with seats left', () => {
    expect(mailboxRecord({ userPrincipalName: ' AdeleV@Contoso.com ' }).key).toBe('adelev@contoso.com');
    const sku = skuRecord({ skuId: 'CBDC14AB-D96C-4C30-B9F4-6ADA7CDC1D46', consumedUnits: 12, prepaidUnits: { enabled: 10 } });
    expect(sku.key).toBe('cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46');
    expect(sku.data).toMatchObject({ available: 0, displayName: 'Microsoft 365 Business Premium' });
  });
});

describe('the organization decision row', () => {
  it('explains a match by its rule and a suggestion as waiting for a technician', () => {
    const tenant = { microsoft_tenant_id: 'guid-1' } as Tenant;
    const matched = organizationDecisionRow(tenant, {
      tenantId: 'guid-1',
      state: 'matched',
      organizationId: 'o1',
      rule: 'domain',
      suggestions: [],
    });
    expect(matched).toMatchObject({ kind: 'organization', sourceId: 'guid-1', targetId: 'o1', reason: 'Matched by domain.' });
    const suggested = organizationDecisionRow(tenant, {
      tenantId: 'guid-1',
      state: 'suggested',
      organizationId: null,
      rule: null,
      suggestions: [{ organizationId: 'o2', score: 0.8 }],
    });
    expect(suggested.reason).toBe('Suggestions wait for a technician.');
  });
});
