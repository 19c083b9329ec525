import { describe, expect, it } from 'vitest';
import { fixLinks, fixLinksView, type FixContext } from '../../../src/web/pages/fix-links.ts';

const tenant = '22222222-2222-4222-8222-222222222222';
const context = (overrides: Partial<FixContext> = {}): FixContext => ({
  authorityHost: 'https://login.microsoftonline.com',
  cloud: 'global',
  integrationId: 'int-1',
  clientId: 'app-1',
  tenant: { microsoftTenantId: tenant, accessKind: 'gdap' },
  ...overrides,
});

describe('where a sync problem is fixed', () => {
  it('missing consent: the admin consent link of the configured cloud', () => {
    expect(fixLinks('consent_missing', context())).toEqual([
      { label: 'Admin consent link', url: `https://login.microsoftonline.com/${tenant}/adminconsent?client_id=app-1`, external: true },
    ]);
    expect(fixLinks('consent_missing', context({ authorityHost: 'https://login.microsoftonline.us' }))[0]?.url).toMatch(
      /^https:\/\/login\.microsoftonline\.us\//,
    );
  });

  it("a missing role: docsync's list of permissions and roles, and the customer's relationships in Partner Center", () => {
    expect(fixLinks('permission_missing', context()).map((l) => l.url)).toEqual([
      '/integrations/int-1#microsoft-setup',
      `https://partner.microsoft.com/dashboard/commerce2/customers/${tenant}/adminrelationships`,
    ]);
    // A cloud without a documented Partner Center form: docsync's own page only.
    expect(fixLinks('permission_missing', context({ cloud: 'usGovernment' })).map((l) => l.url)).toEqual([
      '/integrations/int-1#microsoft-setup',
    ]);
  });

  it("an expired connection: the integration's page; an unknown code: nothing", () => {
    expect(fixLinks('partner_connection_expired', context({ tenant: null }))).toEqual([
      { label: "The integration's page (reconnect)", url: '/integrations/int-1', external: false },
    ]);
    expect(fixLinks('users_read', context())).toEqual([]);
    expect(fixLinksView([])).toBe('');
  });

  it('concealed report names: the customer in the Microsoft 365 admin center', () => {
    expect(fixLinks('reports_concealed', context())[0]?.url).toContain('CSDEST=o365admincenter');
    expect(fixLinks('reports_concealed', context({ tenant: { microsoftTenantId: tenant, accessKind: 'direct' } }))).toEqual([]);
  });
});
