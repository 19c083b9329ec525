import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runMatching, parseMatchingInput, type MatchingInput } from '../../../src/matching/index.ts';

const graph = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/matching/graph/${name}`, import.meta.url), 'utf8')).value;

// The Graph documentation samples, as the sync engine would pass them (Graph leaves out
// properties that were not selected, e.g. the older guest has no id: give it one).
function graphInput(): MatchingInput {
  const guest = { id: 'guest-1', ...graph('users-list.older-guest-proxyAddresses.json')[0] };
  return parseMatchingInput({
    organizations: [
      { id: 'org-contoso', name: 'Contoso', domains: ['contoso.com'] },
      { id: 'org-fabrikam', name: 'Fabrikam', domains: [] },
    ],
    contacts: [
      { id: 'c-admin', organizationId: 'org-contoso', firstName: 'MOD', lastName: 'Administrator', emails: [] },
      { id: 'c-adams', organizationId: 'org-contoso', firstName: null, lastName: null, emails: ['adams@contoso.com'] },
      { id: 'c-guest', organizationId: 'org-contoso', firstName: null, lastName: null, emails: ['contoso1@gmail.com'] },
    ],
    configurations: [{ id: 'k-1', organizationId: 'org-contoso', name: 'device name value', serialNumber: null, intuneDeviceId: null }],
    tenants: [
      {
        id: 't-contoso',
        displayName: 'Contoso',
        organizationId: null,
        domains: graph('domains.json'),
        users: [...graph('users-list.json'), guest],
        managedDevices: graph('managedDevices-list.json'),
      },
      {
        id: 't-unknown',
        displayName: 'Woodgrove Bank',
        domains: [],
        users: graph('users-list.json'),
        managedDevices: graph('managedDevices-list.json'),
      },
    ],
    options: { includeGuests: true },
  });
}

describe('a matching run over Graph-shaped records', () => {
  const output = runMatching(graphInput());

  it('decides every tenant, user and device exactly once', () => {
    expect(output.organizations.map((o) => o.tenantId)).toEqual(['t-contoso', 't-unknown']);
    expect(output.contacts.map((c) => `${c.tenantId}/${c.userId}`)).toEqual([
      't-contoso/6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0',
      't-contoso/4562bcc8-c436-4f95-b7c0-4f8ce89dca5e',
      't-contoso/guest-1',
      't-unknown/6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0',
      't-unknown/4562bcc8-c436-4f95-b7c0-4f8ce89dca5e',
    ]);
    expect(output.configurations.map((c) => `${c.tenantId}/${c.deviceId}`)).toEqual([
      't-contoso/705c034c-034c-705c-4c03-5c704c035c70',
      't-unknown/705c034c-034c-705c-4c03-5c704c035c70',
    ]);
  });

  it('reads mail, names and the stray-quoted guest address the way Graph returns them', () => {
    const byUser = new Map(output.contacts.filter((c) => c.tenantId === 't-contoso').map((c) => [c.userId, c]));
    expect(byUser.get('6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0')).toMatchObject({ decision: 'match', contactId: 'c-adams', rule: 'alias' });
    expect(byUser.get('4562bcc8-c436-4f95-b7c0-4f8ce89dca5e')).toMatchObject({ decision: 'match', contactId: 'c-admin', rule: 'name' });
    expect(byUser.get('guest-1')).toMatchObject({ decision: 'match', contactId: 'c-guest', rule: 'alias' });
  });

  it('matches the device by name and leaves the other tenant pending', () => {
    expect(output.configurations[0]).toMatchObject({ decision: 'match', configurationId: 'k-1', rule: 'name', contactId: null });
    expect(output.organizations[1]?.state).toBe('unmatched');
    expect(output.contacts.filter((c) => c.tenantId === 't-unknown').every((c) => c.decision === 'pending')).toBe(true);
    expect(output.configurations[1]?.decision).toBe('pending');
  });

  it('does not trust a domain the sample leaves without isVerified', () => {
    const input = graphInput();
    input.tenants[0]!.displayName = 'Contoso Worldwide';
    expect(runMatching(input).organizations[0]?.state).toBe('suggested');
  });

  it('is a pure function of its input', () => {
    expect(runMatching(graphInput())).toEqual(output);
  });
});
