// Issue 15, "a test connection that reports each permission per tenant": for one tenant, one
// Graph read per permission through the real MSAL and Graph client against the emulator, which
// answers as Microsoft does per tenant (GDAP roles, licences). The API and the page (a form post
// with the CSRF token) show OK / missing permission (scope and GDAP role named) / licence
// missing per permission; every test is audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import type { CustomerProfile } from '../../../src/emulator/world.ts';
import { buildApp } from '../../../src/app.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../sync/fixtures.ts';
import { signIn } from './support.ts';

interface Check {
  permission: string;
  feature: string;
  ok: boolean;
  status: string;
  message: string;
}

describe.each(DATABASE_KINDS)('test connection of a tenant on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let app: FastifyInstance;
  let technician: { cookie: string; csrf: string };
  let reader: { cookie: string; csrf: string };
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let customers: { healthy: CustomerProfile; noLicences: CustomerProfile; limited: CustomerProfile };

  const rowIdOf = async (tenantId: string) =>
    (await ctx.database.db.selectFrom('tenants').select('id').where('microsoft_tenant_id', '=', tenantId).executeTakeFirstOrThrow()).id;

  async function testConnection(customer: CustomerProfile): Promise<Check[]> {
    const response = await app.inject({
      method: 'POST',
      url: `/api/tenants/${await rowIdOf(customer.tenantId)}/test-connection`,
      headers: { cookie: technician.cookie, 'x-csrf-token': technician.csrf },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json().checks as Check[];
  }

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 15, customers: 5, usersPerTenant: 5, autoConsent: true, clock });
    ctx = await createTestContext(kind, {
      config: emulatorAsMicrosoft(emulator),
      overrides: { clock, microsoft: { sleep: async (ms: number) => void (now += ms) } },
    });
    app = await buildApp(ctx);
    await app.ready();
    for (const [username, role] of [
      ['tech', 'technician'],
      ['reader', 'read_only'],
    ] as const)
      await createTechnician(
        { db: ctx.database.db, clock },
        { username, password: 'correct horse battery staple', role },
        { id: null, label: 'test' },
      );
    technician = await signIn(app, 'tech', 'correct horse battery staple');
    reader = await signIn(app, 'reader', 'correct horse battery staple');
    const all = emulator.world.customers();
    customers = {
      healthy: all.find((c) => c.traits.gdap === 'active' && c.traits.intune && c.traits.premium)!,
      noLicences: all.find((c) => c.traits.gdap === 'active' && !c.traits.intune && !c.traits.premium)!,
      limited: all.find((c) => c.traits.gdap === 'limited')!,
    };
    await connectIntegrationToEmulator(ctx.microsoft, emulator);
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await emulator?.close();
  });

  it('reports every permission OK in a tenant with full GDAP roles and licences', async () => {
    const checks = await testConnection(customers.healthy);
    expect(checks.map((c) => c.permission)).toEqual([
      'User.Read.All',
      'AuditLog.Read.All',
      'GroupMember.Read.All',
      'Organization.Read.All',
      'DeviceManagementManagedDevices.Read.All',
      'Reports.Read.All',
      'Reports.Read.All',
      'AuditLog.Read.All',
    ]);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(new Set(checks.map((c) => c.status))).toEqual(new Set(['ok']));
  });

  it('names the scope and the GDAP role for each read the access assignment does not allow (403), the rest OK', async () => {
    const checks = await testConnection(customers.limited);
    const byFeature = new Map(checks.map((c) => [c.feature, c]));
    expect(byFeature.get('users')).toMatchObject({ ok: true, status: 'ok' });
    expect(byFeature.get('licences (subscribedSkus)')).toMatchObject({ ok: true, status: 'ok' });
    const mfa = byFeature.get('MFA registration (userRegistrationDetails)')!;
    expect(mfa).toMatchObject({ ok: false, status: 'permission_missing', permission: 'AuditLog.Read.All' });
    expect(mfa.message).toContain('Authorization_RequestDenied');
    expect(mfa.message).toMatch(/AuditLog\.Read\.All consented .*Global Reader \(or Reports Reader, Security Reader\)/);
    const devices = byFeature.get('Intune devices')!;
    expect(devices).toMatchObject({ ok: false, status: 'permission_missing' });
    expect(devices.message).toMatch(/DeviceManagementManagedDevices\.Read\.All .*Global Reader \(or Intune Administrator\)/);
    expect(byFeature.get('mailbox usage report')).toMatchObject({ ok: false, status: 'permission_missing' });
  });

  it('says the licence is missing, not the permission, where the tenant has no Entra ID P1 or Intune', async () => {
    const checks = await testConnection(customers.noLicences);
    const byFeature = new Map(checks.map((c) => [c.feature, c]));
    expect(byFeature.get('users')).toMatchObject({ ok: true });
    expect(byFeature.get('MFA registration (userRegistrationDetails)')).toMatchObject({
      ok: false,
      status: 'license_missing',
      message: expect.stringContaining('Entra ID P1 or P2'),
    });
    expect(byFeature.get("users' last sign-in")).toMatchObject({ status: 'license_missing' });
    expect(byFeature.get('Intune devices')).toMatchObject({ status: 'license_missing', message: expect.stringContaining('Intune') });
  });

  it('audits each test with its outcome per permission', async () => {
    const rowId = await rowIdOf(customers.limited.tenantId);
    const audit = await ctx.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'tenant.test_connection')
      .where('subject_id', '=', rowId)
      .execute();
    expect(audit.length).toBeGreaterThan(0);
    expect(audit[0]!.actor_label).toBe('tech');
    const after = typeof audit[0]!.after === 'string' ? JSON.parse(audit[0]!.after) : audit[0]!.after;
    expect(after.checks).toContainEqual({
      permission: 'AuditLog.Read.All',
      feature: 'MFA registration (userRegistrationDetails)',
      status: 'permission_missing',
    });
  });

  it('shows the results as a page from the form on the integration page, and refuses a post without the CSRF token', async () => {
    const integrationId = (await ctx.database.db.selectFrom('integrations').select('id').executeTakeFirstOrThrow()).id;
    const integrationPage = await app.inject({
      method: 'GET',
      url: `/integrations/${integrationId}`,
      headers: { cookie: technician.cookie },
    });
    const rowId = await rowIdOf(customers.limited.tenantId);
    expect(integrationPage.body).toContain(`<form method="post" action="/tenants/${rowId}/test-connection"`);
    expect(integrationPage.body).toContain(`name="_csrf" value="${technician.csrf}"`);

    const page = await app.inject({
      method: 'POST',
      url: `/tenants/${rowId}/test-connection`,
      headers: { cookie: technician.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${encodeURIComponent(technician.csrf)}`,
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Connection test of');
    expect(page.body).toMatch(/reads failed/);
    expect(page.body).toContain('missing permission');

    const forged = await app.inject({
      method: 'POST',
      url: `/tenants/${rowId}/test-connection`,
      headers: { cookie: technician.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '_csrf=wrong',
    });
    expect(forged.statusCode).toBe(403);
  });

  it('lets only technicians test (read-only gets 403 in the error shape), and answers 404 for an unknown tenant', async () => {
    const rowId = await rowIdOf(customers.healthy.tenantId);
    const refused = await app.inject({
      method: 'POST',
      url: `/api/tenants/${rowId}/test-connection`,
      headers: { cookie: reader.cookie, 'x-csrf-token': reader.csrf },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: expect.any(String), requestId: expect.any(String) });
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/tenants/00000000-0000-4000-8000-000000000000/test-connection',
      headers: { cookie: technician.cookie, 'x-csrf-token': technician.csrf },
    });
    expect(unknown.statusCode).toBe(404);
  });
});
