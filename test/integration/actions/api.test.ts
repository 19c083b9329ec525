// The actions and vault API as written in the issue: POST /api/actions → { action: { id, kind,
// status, steps: [{ name, status, detail }] } }, GET /api/actions/:id, GET /api/tenants/:id/actions;
// enabling per integration (which hands out the consent link for the write permissions), who may
// act, and the vault (lists without passwords, audited reveals). Real app, emulator, both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import { createApiToken } from '../../../src/auth/api-tokens.ts';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { ROLES } from '../../../src/emulator/world/catalog.ts';
import { createActionWorker } from '../../../src/actions/engine.ts';
import { actionDepsFor } from '../../../src/actions/wiring.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../sync/fixtures.ts';

describe.each(DATABASE_KINDS)('actions API on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let app: FastifyInstance;
  let microsoft: SyncMicrosoft;
  let integrationId: string;
  let tenantId: string;
  let customerTenantId: string;
  const auth: Record<'admin' | 'tech' | 'reader', string> = { admin: '', tech: '', reader: '' };
  let techId: string;
  const clock = { now: () => new Date() };

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 11, customers: 2, usersPerTenant: 20, autoConsent: true });
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator) });
    microsoft = createSyncMicrosoft(ctx);
    customerTenantId = emulator.world.customers()[0]!.tenantId;
    emulator.world.setAccessRoles(customerTenantId, [
      ROLES.directoryReaders,
      ROLES.globalReader,
      ROLES.userAdministrator,
      ROLES.licenseAdministrator,
    ]);
    integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    tenantId = (
      await ctx.database.db.selectFrom('tenants').select('id').where('microsoft_tenant_id', '=', customerTenantId).executeTakeFirstOrThrow()
    ).id;
    app = await buildApp(ctx);
    await app.ready();
    for (const [key, role] of [
      ['admin', 'administrator'],
      ['tech', 'technician'],
      ['reader', 'read_only'],
    ] as const) {
      const t = await createTechnician(
        { db: ctx.database.db, clock },
        { username: `${key}-user`, password: 'correct horse battery staple', role },
        { id: null, label: 'test' },
      );
      if (key === 'tech') techId = t.id;
      auth[key] = `Bearer ${(await createApiToken(ctx.database.db, clock, t.id, 'tests')).token}`;
    }
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await emulator?.close();
  });

  const call = (who: keyof typeof auth, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url, headers: { authorization: auth[who] }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const member = () => emulator.world.userAt(customerTenantId, 1)!.record;

  it('keeps actions off until an administrator enables them, then hands out the admin-consent link for write permissions', async () => {
    const off = await call('admin', 'POST', '/api/actions', {
      kind: 'password_rotation',
      tenantId,
      userIds: [member().id],
      preview: true,
    });
    expect(off.statusCode).toBe(409);
    expect(off.json().error).toMatchObject({ code: 'actions_disabled' });
    expect((await call('tech', 'POST', `/api/integrations/${integrationId}/actions`, { enabled: true })).statusCode).toBe(403);
    const enabled = await call('admin', 'POST', `/api/integrations/${integrationId}/actions`, { enabled: true });
    expect(enabled.statusCode).toBe(200);
    const tenant = enabled.json().tenants.find((t: { id: string }) => t.id === tenantId);
    expect(tenant.allowed).toMatchObject({ offboard: true, onboard: true, password_rotation: true, license_reclaim: true });
    const readOnlyTenant = enabled.json().tenants.find((t: { id: string }) => t.id !== tenantId);
    expect(readOnlyTenant.allowed).toMatchObject({ offboard: false, onboard: false, password_rotation: false });
    expect(emulator.world.delegatedScopes(customerTenantId, emulator.credentials.clientId)).not.toContain('User.ReadWrite.All');
    // The customer's admin follows the link (the emulator consents at once).
    const consent = await fetch(tenant.consentUrl, { redirect: 'manual' });
    expect(consent.status).toBe(200);
    expect(emulator.world.delegatedScopes(customerTenantId, emulator.credentials.clientId)).toEqual(
      expect.arrayContaining(['User.ReadWrite.All', 'LicenseAssignment.ReadWrite.All']),
    );
  });

  it('lets read-only accounts and technicians not allowed to act read, never act', async () => {
    const body = { kind: 'password_rotation', tenantId, userIds: [member().id], preview: true };
    expect((await call('reader', 'POST', '/api/actions', body)).statusCode).toBe(403);
    const tech = await call('tech', 'POST', '/api/actions', body);
    expect(tech.statusCode).toBe(403);
    expect(tech.json().error.action).toContain('allow your account to act');
    expect((await call('admin', 'PUT', `/api/technicians/${techId}/can-act`, { canAct: true })).json()).toEqual({
      id: techId,
      canAct: true,
    });
    expect((await call('tech', 'POST', '/api/actions', body)).statusCode).toBe(200);
    expect((await call('reader', 'GET', `/api/tenants/${tenantId}/actions`)).statusCode).toBe(200);
  });

  it('previews, queues and reports an action in exactly the documented shape', async () => {
    microsoft.tokens.forget(integrationId);
    const body = { kind: 'password_rotation', tenantId, userIds: [member().id] };
    const preview = await call('tech', 'POST', '/api/actions', { ...body, preview: true });
    expect(preview.statusCode).toBe(200);
    const { action } = preview.json();
    expect(action).toMatchObject({ kind: 'password_rotation', status: 'preview' });
    expect(action.steps).toEqual([
      { name: 'reset_password', status: 'planned', detail: expect.stringContaining(member().userPrincipalName) },
    ]);

    const queued = await call('tech', 'POST', '/api/actions', { ...body, preview: false });
    expect(queued.statusCode).toBe(202);
    expect(queued.json().action.status).toBe('queued');
    await createActionWorker(actionDepsFor(ctx, microsoft), { workerId: 'api-test' }).drain();
    const done = await call('reader', 'GET', `/api/actions/${queued.json().action.id}`);
    expect(done.json().action).toMatchObject({ status: 'succeeded', steps: [{ name: 'reset_password', status: 'done' }] });
    const listed = await call('reader', 'GET', `/api/tenants/${tenantId}/actions?userId=${member().id}`);
    expect(listed.json().items.map((a: { id: string }) => a.id)).toEqual([queued.json().action.id]);
  });

  it('documents the action and vault routes in the OpenAPI document', async () => {
    const doc = (await call('reader', 'GET', '/api/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/actions', '/api/actions/{id}', '/api/tenants/{id}/actions', '/api/vault/{id}/reveal']),
    );
    expect(doc.paths['/api/actions'].post.requestBody.content['application/json'].schema.required).toEqual(['kind', 'tenantId', 'preview']);
  });

  it('answers bad input with the documented error shape and stores nothing', async () => {
    const before = await ctx.database.db
      .selectFrom('actions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    for (const payload of [
      { kind: 'teleport', tenantId, preview: true },
      { kind: 'offboard', tenantId, userIds: [], preview: true },
      {
        kind: 'onboard',
        tenantId,
        input: { displayName: 'X', userPrincipalName: 'x@y.example', usageLocation: 'Britain' },
        preview: true,
      },
      { kind: 'offboard', tenantId, userIds: [member().id], input: { steps: ['format_disk'] }, preview: true },
    ]) {
      const answer = await call('admin', 'POST', '/api/actions', payload);
      expect(answer.statusCode).toBe(400);
      expect(Object.keys(answer.json().error)).toEqual(expect.arrayContaining(['code', 'message', 'requestId']));
    }
    const after = await ctx.database.db
      .selectFrom('actions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('keeps vault passwords out of lists; reveals are for allowed roles only and audited', async () => {
    const org = await ctx.database.db.insertInto('organizations').values({ name: 'Vault Org' }).returning('id').executeTakeFirstOrThrow();
    const added = await call('tech', 'POST', `/api/organizations/${org.id}/vault`, {
      name: 'Firewall admin',
      username: 'admin',
      password: 'S3cret-firewall!',
    });
    expect(added.statusCode).toBe(201);
    const list = await call('reader', 'GET', `/api/organizations/${org.id}/vault`);
    expect(list.json().items).toHaveLength(1);
    expect(list.body).not.toContain('S3cret-firewall!');
    const stored = await ctx.database.db
      .selectFrom('vault_entries')
      .select('secret_sealed')
      .where('id', '=', added.json().id)
      .executeTakeFirstOrThrow();
    expect(stored.secret_sealed).not.toContain('S3cret');
    expect((await call('reader', 'POST', `/api/vault/${added.json().id}/reveal`)).statusCode).toBe(403);
    const revealed = await call('tech', 'POST', `/api/vault/${added.json().id}/reveal`);
    expect([revealed.statusCode, revealed.json().password, revealed.headers['cache-control']]).toEqual([
      200,
      'S3cret-firewall!',
      'no-store',
    ]);
    const audit = await ctx.database.db
      .selectFrom('audit_log')
      .select(['action', 'actor_label', 'after'])
      .where('subject_id', '=', added.json().id)
      .orderBy('created_at')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['vault.add', 'vault.reveal']);
    expect(audit[1]!.actor_label).toBe('tech-user');
    expect(JSON.stringify(audit)).not.toContain('S3cret');
  });

  it('sets, lists and stops a password rotation schedule over the API; read-only accounts only read it', async () => {
    const user = member();
    const url = `/api/tenants/${tenantId}/password-rotations`;
    expect((await call('reader', 'POST', url, { userIds: [user.id], intervalDays: 60 })).statusCode).toBe(403);
    const bad = await call('tech', 'POST', url, { userIds: [user.id], intervalDays: 0 });
    expect([bad.statusCode, Object.keys(bad.json().error).sort()]).toEqual([400, ['code', 'message', 'requestId']]);
    const set = await call('tech', 'POST', url, { userIds: [user.userPrincipalName], intervalDays: 60 });
    expect(set.statusCode).toBe(201);
    expect(set.json().items).toEqual([
      expect.objectContaining({
        userId: user.id,
        userPrincipalName: user.userPrincipalName,
        intervalDays: 60,
        lastRotatedAt: null,
        lastAction: null,
        problem: null,
        createdBy: 'tech-user',
      }),
    ]);
    const listed = await call('reader', 'GET', url);
    expect(listed.json().items.map((s: { id: string }) => s.id)).toEqual([set.json().items[0].id]);
    expect((await call('reader', 'DELETE', `/api/password-rotations/${set.json().items[0].id}`)).statusCode).toBe(403);
    expect((await call('tech', 'DELETE', `/api/password-rotations/${set.json().items[0].id}`)).statusCode).toBe(204);
    expect((await call('reader', 'GET', url)).json().items).toEqual([]);
    const doc = (await call('reader', 'GET', '/api/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/tenants/{id}/password-rotations',
        '/api/password-rotations/{id}',
        '/api/organizations/{id}/password-rotations',
      ]),
    );
  });
});
