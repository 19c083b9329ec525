// Discovery against the emulator's awkward customers: full roles, concealed reports, no Intune /
// no P1, a relationship lacking roles, an expired relationship and a DAP-only customer.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, connectedIntegration, customerByIndex, type MicrosoftHarness } from './support.ts';
import type { DiscoveryReport } from '../../../src/microsoft/discovery.ts';

let h: MicrosoftHarness;
let integrationId: string;
let report: DiscoveryReport;

beforeAll(async () => {
  h = await startHarness({ customers: 6 });
  integrationId = await connectedIntegration(h);
  report = await h.microsoft.discovery.discover(integrationId);
});
afterAll(async () => {
  await h.close();
});

const stored = async (index: number) =>
  h.ctx.database.db
    .selectFrom('tenants')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .where('microsoft_tenant_id', '=', customerByIndex(h, index).tenantId)
    .executeTakeFirstOrThrow();

describe('discovery', () => {
  it('finds every customer, GDAP and DAP-only, with one token request per reachable tenant', () => {
    expect(report.counts).toMatchObject({ discovered: 6, active: 4, inactive: 2, new: 6 });
    const stats = h.microsoft.tokens.stats();
    for (const tenant of report.tenants.filter((t) => t.active)) expect(stats.perTenant[tenant.tenantId]).toBe(1);
  });

  it('a healthy customer: verified domains, roles, everything readable', async () => {
    const row = await stored(0);
    expect(row.health).toBe('ok');
    expect(row.active).toBe(true);
    expect(row.display_name).toBe('Contoso, Ltd.');
    expect(row.default_domain).toBe('contoso.com');
    expect((row.domains as unknown as string[]).length).toBeGreaterThan(1);
    expect((row.roles as unknown as Array<{ name: string }>).map((r) => r.name).sort()).toEqual(['Directory Readers', 'Global Reader']);
    expect(row.permissions).toMatchObject({
      users: { ok: true },
      signInActivity: { ok: true },
      devices: { ok: true },
      reports: { ok: true },
    });
  });

  it('concealed reports are a warning with the admin-center setting to change', async () => {
    expect((await stored(1)).health).toBe('warning');
    const warning = report.warnings.find((w) => w.tenantId === customerByIndex(h, 1).tenantId && w.code === 'reports_concealed');
    expect(warning?.action).toMatch(/Display concealed user, group and site names/);
  });

  it('no Intune / no Entra ID P1: the sync continues, with a warning per missing capability', async () => {
    const row = await stored(2);
    expect([row.health, row.active]).toEqual(['warning', true]);
    expect(row.permissions).toMatchObject({ users: { ok: true }, signInActivity: { ok: false }, devices: { ok: false } });
  });

  it('a relationship lacking roles: warns which role to add for which feature', async () => {
    const row = await stored(3);
    expect([row.health, row.active]).toEqual(['warning', true]);
    const tenantWarnings = report.warnings.filter((w) => w.tenantId === customerByIndex(h, 3).tenantId && w.code === 'gdap_role_missing');
    expect(tenantWarnings.map((w) => w.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/Intune managed devices/), expect.stringMatching(/mailbox usage reports/)]),
    );
    expect(tenantWarnings[0]!.action).toMatch(/Global Reader/);
  });

  it('an expired relationship: inactive with the reason, failing, not deleted', async () => {
    const row = await stored(4);
    expect([row.active, row.health, row.relationship_status]).toEqual([false, 'failing', 'expired']);
    expect(row.inactive_reason).toMatch(/expired/);
  });

  it('a DAP-only customer: listed, inactive, says to create a GDAP relationship', async () => {
    const row = await stored(5);
    expect([row.access_kind, row.active, row.health]).toEqual(['dap', false, 'failing']);
    expect(report.warnings.find((w) => w.tenantId === customerByIndex(h, 5).tenantId)?.action).toMatch(/create a GDAP relationship/);
  });

  it('new customers appear at the next discovery; a relationship ending later keeps the tenant and its rows', async () => {
    const added = h.emulator.world.addCustomer();
    h.emulator.world.terminateRelationship(customerByIndex(h, 0).tenantId);
    const second = await h.microsoft.discovery.discover(integrationId);
    expect(second.counts.new).toBe(1);
    expect(second.tenants.find((t) => t.tenantId === added.tenantId)?.isNew).toBe(true);
    const row = await stored(0);
    expect([row.active, row.health]).toEqual([false, 'failing']);
    expect(row.inactive_reason).toMatch(/terminat/);
    const { count } = await h.ctx.database.db
      .selectFrom('tenants')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('integration_id', '=', integrationId)
      .executeTakeFirstOrThrow();
    expect(count).toBe(7);
  });
});

describe('direct app-only integration (client credentials in one tenant)', () => {
  it('discovers its one tenant with the permission check, and refuses other tenants', async () => {
    const own = customerByIndex(h, 2);
    const c = h.emulator.credentials;
    const direct = await h.microsoft.integrations.create({
      kind: 'direct_app',
      name: 'Fabrikam own tenant',
      tenantId: own.tenantId,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
    });
    const result = await h.microsoft.discovery.discover(direct.id);
    expect(result.tenants).toHaveLength(1);
    expect(result.tenants[0]).toMatchObject({ tenantId: own.tenantId, accessKind: 'direct', active: true, displayName: own.displayName });
    expect(result.tenants[0]!.permissions?.users.ok).toBe(true);
    await expect(h.microsoft.tokens.accessToken(direct.id, customerByIndex(h, 0).tenantId)).rejects.toMatchObject({
      code: 'tenant_not_found',
      scope: 'tenant',
    });
  });
});
