// The home page and GET /api/attention: what needs a technician across every customer, each item
// with the action and the link to where it is fixed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { adminConsentUrl } from '../../../src/microsoft/errors.ts';
import { call, seedContents, seedTenants, type Seeded, type WebWorld, startWebWorld } from './support.ts';

interface Item {
  kind: string;
  severity: string;
  organizationId?: string;
  tenantId?: string;
  message: string;
  action: string;
  url: string;
}

const DAY_MS = 86_400_000;

describe.each(DATABASE_KINDS)('what needs attention on %s', (kind) => {
  let world: WebWorld;
  let seeded: Seeded;
  const items = async (query = '') => {
    const response = await call(world, 'read_only', 'GET', `/api/attention${query}`);
    expect(response.statusCode).toBe(200);
    return response.json() as { items: Item[]; counts: { error: number; warning: number; info: number; byKind: Record<string, number> } };
  };
  const of = (list: Item[], kind: string, tenantKey?: string) =>
    list.filter((i) => i.kind === kind && (!tenantKey || i.tenantId === seeded.tenants[tenantKey]!.id));

  beforeAll(async () => {
    world = await startWebWorld(kind);
    seeded = await seedTenants(world.ctx);
    await seedContents(world.ctx, seeded, world.clock.now());
    const db = world.ctx.database.db;
    const now = world.clock.now();
    // Contoso's last run failed for missing consent (seedContents wrote its log line); Tailspin's
    // last sync left something unread; Northwind's GDAP relationship ends in 10 days.
    await db
      .updateTable('tenants')
      .set({ health: 'failing', health_reason: 'consent missing' })
      .where('id', '=', seeded.tenants.contoso!.id)
      .execute();
    await db
      .updateTable('tenants')
      .set({ health: 'warning', health_reason: 'devices could not be read: Intune is not licensed' })
      .where('id', '=', seeded.tenants.tailspin!.id)
      .execute();
    await db
      .updateTable('tenants')
      .set({ relationship_end_at: new Date(now.getTime() + 10 * DAY_MS), auto_extend: false, last_sync_at: now })
      .where('id', '=', seeded.tenants.northwind!.id)
      .execute();
    await db
      .updateTable('integrations')
      .set({ client_secret_encrypted: 'sealed', client_secret_expires_at: new Date(now.getTime() + 5 * DAY_MS) })
      .where('id', '=', seeded.integrationId)
      .execute();
    // An ignored tenant never needs attention.
    await db.updateTable('match_decisions').set({ state: 'ignored' }).where('tenant_id', '=', seeded.tenants.huge!.id).execute();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('lists missing consent with the admin consent link of the configured cloud, under the organization', async () => {
    const { items: list } = await items();
    const [consent] = of(list, 'consent_missing', 'contoso');
    expect(consent).toMatchObject({ severity: 'error', organizationId: seeded.organizations.contoso });
    expect(consent!.url).toBe(
      adminConsentUrl(world.ctx.config.microsoft.authorityHost, seeded.tenants.contoso!.microsoftTenantId, 'client-id'),
    );
    expect(consent!.url.startsWith(world.ctx.config.microsoft.authorityHost)).toBe(true);
    // One item per tenant: the consent item replaces the generic "failing".
    expect(of(list, 'tenant_failing', 'contoso')).toEqual([]);
  });

  it('lists a warning tenant with its reason, and the expiring client secret and GDAP relationship with the action', async () => {
    const { items: list } = await items();
    expect(of(list, 'tenant_warning', 'tailspin')[0]).toMatchObject({
      severity: 'warning',
      url: `/tenants/${seeded.tenants.tailspin!.id}/contacts`,
    });
    expect(of(list, 'tenant_warning', 'tailspin')[0]!.message).toContain('Intune is not licensed');
    const [secret] = of(list, 'client_secret_expiring');
    expect(secret).toMatchObject({ severity: 'error', url: `/integrations/${seeded.integrationId}#s-secret` });
    expect(secret!.message).toContain('in 5 days');
    const [relationship] = of(list, 'relationship_ending', 'northwind');
    expect(relationship).toMatchObject({ severity: 'warning' });
    expect(relationship!.message).toContain('in 10 days');
    expect(relationship!.action).toContain('Partner Center');
  });

  it('lists reviews waiting: tenants without an organization per integration, users to review per tenant', async () => {
    const { items: list } = await items();
    const [organizations] = of(list, 'organization_review');
    // Suggested: Northwind, Tailspin; unmatched: Fresh and three hostile names (the huge one is ignored).
    expect(organizations!.message).toMatch(/^6 tenants of Fabrikam Partners GDAP wait for an organization \(2 with a suggestion\)/);
    expect(organizations!.url).toBe(`/tenants?integrationId=${seeded.integrationId}&state=suggested`);
    const [reviews] = of(list, 'contact_review', 'contoso');
    expect(reviews).toMatchObject({
      severity: 'warning',
      organizationId: seeded.organizations.contoso,
      url: `/tenants/${seeded.tenants.contoso!.id}/contacts?decision=review`,
    });
    expect(reviews!.message).toContain('1 user could match more than one record');
  });

  it('lists disabled accounts that hold licenses, unused paid seats (free ones left out) and tenants never synced', async () => {
    const { items: list } = await items();
    const [disabled] = of(list, 'disabled_licensed_users', 'contoso');
    expect(disabled!.message).toContain('1 disabled account still holds licenses');
    // Where it points lists the account and its licenses.
    const licenses = await call(world, 'read_only', 'GET', `/api/tenants/${seeded.tenants.contoso!.id}/licenses`);
    expect(licenses.json().disabledLicensedUsers).toEqual([
      {
        userId: 'u-alex',
        displayName: 'Alex Wilber',
        userPrincipalName: 'AlexW@contoso.example',
        licenses: ['Microsoft 365 Business Premium'],
      },
    ]);
    expect((await call(world, 'read_only', 'GET', disabled!.url.split('#')[0]!)).body).toContain('id="disabled-licensed"');
    const [seats] = of(list, 'unused_paid_seats', 'contoso');
    expect(seats).toMatchObject({ severity: 'info', url: `/tenants/${seeded.tenants.contoso!.id}/licenses` });
    expect(seats!.message).toContain('13 paid licenses unused');
    expect(seats!.message).toContain('Microsoft 365 E5: 11');
    expect(of(list, 'tenant_never_synced', 'fresh')).toHaveLength(1);
    expect(of(list, 'tenant_never_synced', 'northwind')).toEqual([]);
    expect(list.filter((i) => i.tenantId === seeded.tenants.huge!.id)).toEqual([]);
  });

  it('filters by severity and integration; the counts cover every severity', async () => {
    const all = await items();
    expect(all.counts.error + all.counts.warning + all.counts.info).toBe(all.items.length);
    const severities = all.items.map((i) => i.severity);
    expect(severities).toEqual(
      [...severities].sort((a, b) => ['error', 'warning', 'info'].indexOf(a) - ['error', 'warning', 'info'].indexOf(b)),
    );
    const errors = await items('?severity=error');
    expect(errors.items.length).toBe(all.counts.error);
    expect(errors.items.every((i) => i.severity === 'error')).toBe(true);
    expect(errors.counts).toEqual(all.counts);
    const other = await world.ctx.database.db
      .insertInto('integrations')
      .values({ kind: 'direct_app', name: 'Other', partner_tenant_id: 'x', client_id: 'y', status: 'connected' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await items(`?integrationId=${other.id}`)).items).toEqual([]);
    expect((await items(`?integrationId=${seeded.integrationId}`)).items.length).toBe(all.items.length);
  });

  it('rejects a bad filter with 400 and needs a session', async () => {
    const bad = await call(world, 'read_only', 'GET', '/api/attention?severity=panic');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('validation_failed');
    expect((await call(world, 'read_only', 'GET', '/api/attention?integrationId=nope')).statusCode).toBe(400);
    expect((await call(world, null, 'GET', '/api/attention')).statusCode).toBe(401);
  });

  it('is the landing page: items grouped by severity, each linking to where it is fixed, names escaped', async () => {
    const redirect = await call(world, null, 'GET', '/');
    expect(redirect.statusCode).toBe(303);
    expect(redirect.headers.location).toBe('/sign-in?next=%2F');
    const page = await call(world, 'read_only', 'GET', '/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Needs attention</h1>');
    expect(page.body).toContain(`href="/tenants/${seeded.tenants.contoso!.id}/contacts?decision=review"`);
    expect(page.body).toContain('Open the admin consent link');
    expect(page.body).not.toContain('<script>alert(1)</script>');
    const warnings = await call(world, 'read_only', 'GET', '/?severity=warning');
    expect(warnings.body).toContain('Needs action soon');
    expect(warnings.body).not.toContain('Needs action now');
    expect((await call(world, 'read_only', 'GET', '/?severity=bad')).statusCode).toBe(400);
  });
});
