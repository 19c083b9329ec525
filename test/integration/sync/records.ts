// A tenant's Microsoft data as a TenantSource, for tests of the store and writer. Records follow
// Microsoft's documented payloads (reference/microsoft/examples); tests change them between syncs.
import { MicrosoftError } from '../../../src/microsoft/errors.ts';
import type {
  GraphDomain,
  MailboxUsageRow,
  GraphManagedDevice,
  GraphSubscribedSku,
  GraphUser,
  TenantSource,
} from '../../../src/microsoft/tenant-reader.ts';

export interface FakeTenantData {
  displayName: string;
  domains: GraphDomain[];
  users: GraphUser[];
  devices: GraphManagedDevice[];
  skus: GraphSubscribedSku[];
  mailboxes: MailboxUsageRow[];
  concealed: boolean;
  groups: Record<string, string[]>;
  /** Resources that fail with this error on the next sync. */
  failing: Partial<Record<'organization' | 'users' | 'mailboxes' | 'devices' | 'licenses', MicrosoftError>>;
}

export function contosoData(): FakeTenantData {
  return {
    displayName: 'Contoso',
    domains: [
      { id: 'contoso.com', isVerified: true, isDefault: true, isInitial: false },
      { id: 'contoso.onmicrosoft.com', isVerified: true, isDefault: false, isInitial: true },
    ],
    users: [
      {
        id: '6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0',
        userPrincipalName: 'AdeleV@contoso.com',
        displayName: 'Adele Vance',
        givenName: 'Adele',
        surname: 'Vance',
        jobTitle: 'Retail Manager',
        mail: 'AdeleV@contoso.com',
        businessPhones: ['+1 425 555 0109'],
        proxyAddresses: ['SMTP:AdeleV@contoso.com', 'smtp:adele@contoso.com', 'x500:/o=ExchangeLabs/cn=adele'],
        userType: 'Member',
        accountEnabled: true,
        createdDateTime: '2024-01-10T09:00:00Z',
        lastPasswordChangeDateTime: '2025-10-01T08:00:00Z',
        signInActivity: { lastSignInDateTime: '2026-11-20T10:00:00Z', lastSuccessfulSignInDateTime: '2026-11-20T10:00:00Z' },
        assignedLicenses: [{ skuId: 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46' }],
      },
      {
        id: '4562bcc8-c436-4f95-b7c0-4f8ce89dca5e',
        userPrincipalName: 'admin@contoso.com',
        displayName: 'MOD Administrator',
        givenName: 'MOD',
        surname: 'Administrator',
        mail: null,
        mobilePhone: '425-555-0101',
        userType: 'Member',
        accountEnabled: true,
        createdDateTime: '2023-01-10T09:00:00Z',
        signInActivity: { lastSignInDateTime: '2026-06-01T10:00:00Z', lastSuccessfulSignInDateTime: '2026-06-01T10:00:00Z' },
        assignedLicenses: [],
      },
      {
        id: 'a1b2c3d4-0000-4000-8000-00000000gst1',
        userPrincipalName: 'contoso1_gmail.com#EXT#@contoso.onmicrosoft.com',
        displayName: 'contoso1',
        mail: 'contoso1@gmail.com',
        otherMails: ['contoso1@gmail.com'],
        userType: 'Guest',
        accountEnabled: true,
        signInActivity: null,
      },
    ],
    devices: [
      {
        id: '705c034c-034c-705c-4c03-5c704c035c70',
        deviceName: 'CONTOSO-LT-001',
        serialNumber: 'PF3ABCDE',
        manufacturer: 'LENOVO',
        model: 'ThinkPad T14',
        operatingSystem: 'Windows',
        osVersion: '10.0.22631.4460',
        complianceState: 'compliant',
        managedDeviceOwnerType: 'company',
        userId: '6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0',
        userPrincipalName: 'AdeleV@contoso.com',
        enrolledDateTime: '2025-03-01T10:00:00Z',
        lastSyncDateTime: '2026-11-22T07:00:00Z',
      },
    ],
    skus: [
      {
        skuId: 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46',
        skuPartNumber: 'SPB',
        capabilityStatus: 'Enabled',
        appliesTo: 'User',
        consumedUnits: 1,
        prepaidUnits: { enabled: 5, suspended: 0, warning: 0, lockedOut: 0 },
      },
    ],
    mailboxes: [
      {
        userPrincipalName: 'AdeleV@contoso.com',
        displayName: 'Adele Vance',
        storageUsedBytes: 1_234_567,
        itemCount: 321,
        prohibitSendReceiveQuotaBytes: 53_687_091_200,
        lastActivityDate: '2026-11-21',
        hasArchive: false,
      },
    ],
    concealed: false,
    groups: {},
    failing: {},
  };
}

/** contosoData() as another customer's: its name, one verified domain, and Microsoft ids of its own
 *  (`${idPrefix}-…`: Microsoft ids are unique across tenants). */
export function contosoDataAs(displayName: string, options: { domain: string; idPrefix: string }): FakeTenantData {
  const data = contosoData();
  data.displayName = displayName;
  data.domains = [{ id: options.domain, isVerified: true }];
  for (const u of data.users) u.id = `${options.idPrefix}-${u.id}`;
  for (const d of data.devices) d.id = `${options.idPrefix}-${d.id}`;
  return data;
}

export function fakeSource(data: FakeTenantData): TenantSource & { calls: string[] } {
  const calls: string[] = [];
  const counters = { graphRequests: 0, throttled: 0 };
  const step = async <T>(name: keyof FakeTenantData['failing'] | 'groups', value: () => T): Promise<T> => {
    calls.push(name);
    counters.graphRequests++;
    const failure = name === 'groups' ? undefined : data.failing[name];
    if (failure) throw failure;
    return structuredClone(value());
  };
  return {
    calls,
    counters,
    organization: () => step('organization', () => ({ displayName: data.displayName, domains: data.domains })),
    listUsers: () =>
      step('users', () => ({
        users: data.users,
        deltaLink: 'https://graph.example/v1.0/users/delta?$deltatoken=1',
        signInActivityAvailable: true,
      })),
    userChanges: () =>
      step('users', () => ({ changed: [], removedIds: [], deltaLink: 'https://graph.example/v1.0/users/delta?$deltatoken=2' })),
    reportNamesConcealed: () => step('mailboxes', () => data.concealed),
    mailboxUsage: () => step('mailboxes', () => data.mailboxes),
    managedDevices: () => step('devices', () => data.devices),
    subscribedSkus: () => step('licenses', () => data.skus),
    groupMemberIds: (groupId) => step('groups', () => data.groups[groupId] ?? []),
  };
}

export const permissionMissing = (what: string) =>
  new MicrosoftError('permission_missing', 'tenant', `docsync may not read ${what}`, 'grant the permission and re-run admin consent');
