import { describe, expect, it } from 'vitest';
import { parseMatchingInput, MatchingInputInvalid } from '../../../src/matching/index.ts';

const valid = () => ({
  organizations: [{ id: 'o', name: 'Contoso', domains: ['contoso.com'] }],
  contacts: [{ id: 'c', organizationId: 'o', firstName: 'A', lastName: 'B', emails: [], microsoftUserId: null }],
  configurations: [{ id: 'k', organizationId: 'o', name: 'PC', serialNumber: null, intuneDeviceId: null }],
  tenants: [
    { id: 't0', displayName: 'Contoso', organizationId: null, domains: [], users: [], managedDevices: [] },
    {
      id: 't1',
      displayName: 'Fabrikam',
      organizationId: null,
      domains: [{ id: 'fabrikam.com', isVerified: true }],
      users: [{ id: 'u', userPrincipalName: 'a@fabrikam.com', extra: { ignored: true } }],
      managedDevices: [],
    },
  ],
  options: { includeGuests: false },
});

const problem = (mutate: (input: ReturnType<typeof valid>) => unknown): string => {
  const input = valid();
  const replaced = mutate(input) ?? input;
  try {
    parseMatchingInput(replaced);
  } catch (error) {
    expect(error).toBeInstanceOf(MatchingInputInvalid);
    return (error as Error).message;
  }
  throw new Error('input was accepted');
};

describe('reading the matching input', () => {
  it('accepts the documented shape, with Graph objects carrying more properties', () => {
    expect(parseMatchingInput(valid()).tenants).toHaveLength(2);
  });

  it('names the path of a field with the wrong type', () => {
    expect(problem((i) => void ((i.tenants[1]!.users[0] as Record<string, unknown>).userPrincipalName = 42))).toBe(
      'tenants[1].users[0].userPrincipalName: expected string, got number 42',
    );
  });

  it('names the path of a missing field', () => {
    expect(problem((i) => void delete (i.contacts[0] as Partial<(typeof i.contacts)[0]>).id)).toBe(
      'contacts[0].id: expected string, but it is missing',
    );
    expect(problem((i) => ({ ...i, tenants: undefined }))).toBe('tenants: expected an array, but it is missing');
  });

  it('says which types a nullable field accepts', () => {
    expect(problem((i) => void ((i.tenants[1]!.users[0] as Record<string, unknown>).mail = 7))).toBe(
      'tenants[1].users[0].mail: expected string or null, got number 7',
    );
  });

  it('refuses a tenant listed twice', () => {
    expect(problem((i) => void (i.tenants[1]!.id = 't0'))).toBe('tenants[1].id: tenant "t0" is listed twice');
  });
});
