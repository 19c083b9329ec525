// A hand-made IdentityWorld for the identity platform's own tests: a partner and three
// customers (one fully reachable, one whose GDAP relationship expired, one without consent).
import type { EmulatorClock, GdapAccess, IdentityWorld } from '../../../src/emulator/world-types.ts';

export const PARTNER = '11111111-1111-4111-8111-111111111111';
export const CUSTOMER_OK = '22222222-2222-4222-8222-222222222222';
export const CUSTOMER_EXPIRED = '33333333-3333-4333-8333-333333333333';
export const CUSTOMER_NO_CONSENT = '44444444-4444-4444-8444-444444444444';
export const CLIENT_ID = 'aaaaaaaa-0000-4000-8000-000000000001';
export const CLIENT_SECRET = 'emulator~secret.value_1';
export const ADMIN_ID = 'bbbbbbbb-0000-4000-8000-000000000002';
export const ADMIN_UPN = 'gdap.admin@fabrikampartners.onmicrosoft.com';
export const ADMIN_PASSWORD = 'Correct-Horse-9';

export interface StubWorld extends IdentityWorld {
  consents: Map<string, { roles: string[]; scopes: string[] }>;
}

export function stubWorld(): StubWorld {
  const domains = new Map<string, string>([
    ['fabrikampartners.onmicrosoft.com', PARTNER],
    ['contoso.onmicrosoft.com', CUSTOMER_OK],
    ['contoso.com', CUSTOMER_OK],
    ['tailspin.onmicrosoft.com', CUSTOMER_EXPIRED],
    ['litware.onmicrosoft.com', CUSTOMER_NO_CONSENT],
  ]);
  const tenants = new Set([PARTNER, CUSTOMER_OK, CUSTOMER_EXPIRED, CUSTOMER_NO_CONSENT]);
  const scopes = ['User.Read', 'User.Read.All', 'Directory.Read.All', 'DeviceManagementManagedDevices.Read.All'];
  const consents = new Map<string, { roles: string[]; scopes: string[] }>([
    [PARTNER, { roles: [], scopes }],
    [CUSTOMER_OK, { roles: ['User.Read.All', 'Organization.Read.All'], scopes }],
    [CUSTOMER_EXPIRED, { roles: ['User.Read.All'], scopes }],
  ]);
  const resolveTenantId = (idOrDomain: string) => {
    const lower = idOrDomain.toLowerCase();
    return tenants.has(lower) ? lower : domains.get(lower);
  };
  return {
    consents,
    partner: {
      tenantId: PARTNER,
      displayName: 'Fabrikam Partners',
      defaultDomain: 'fabrikampartners.onmicrosoft.com',
      adminUser: { id: ADMIN_ID, userPrincipalName: ADMIN_UPN, displayName: 'GDAP Admin', password: ADMIN_PASSWORD },
      adminGroupId: 'cccccccc-0000-4000-8000-000000000003',
      app: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, displayName: 'docsync' },
    },
    tenantExists: (t) => resolveTenantId(t) !== undefined,
    resolveTenantId,
    appConsented: (t, c) => c === CLIENT_ID && consents.has(t),
    gdapAccess(customer, user): GdapAccess {
      if (user !== ADMIN_ID) return { ok: false, reason: 'no_assignment', detail: 'user is not in the admin group' };
      if (customer === CUSTOMER_EXPIRED) return { ok: false, reason: 'inactive', detail: 'relationship expired' };
      if (customer === CUSTOMER_OK || customer === CUSTOMER_NO_CONSENT) {
        return { ok: true, relationshipId: 'rel-1', roleDefinitionIds: ['f2ef992c-3afb-46b9-b7cf-a126ee74c451'] };
      }
      return { ok: false, reason: 'no_relationship', detail: 'never related' };
    },
    appRoles: (t, c) => (c === CLIENT_ID ? (consents.get(t)?.roles ?? []) : []),
    delegatedScopes: (t, c) => (c === CLIENT_ID ? (consents.get(t)?.scopes ?? []) : []),
  };
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.parse('2026-03-02T09:00:00Z')): EmulatorClock & { advance(ms: number): void } {
  let now = start;
  return { now: () => new Date(now), advance: (ms) => void (now += ms) };
}
