// Step-up before acting on Microsoft or revealing a password: an account with a second factor
// must have proved it within the security settings' window (15 minutes by default) to queue or
// resume an action or reveal a vault password; otherwise 403 step_up_required and nothing runs.
// Accounts without a second factor, where MFA is not required, pass. Real app, emulator, both databases.
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/app.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import { createApiToken } from '../../../src/auth/api-tokens.ts';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { ROLES } from '../../../src/emulator/world/catalog.ts';
import { createSyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../sync/fixtures.ts';
import { PASSWORD, sessionCookie, signIn, TestClock } from '../web/support.ts';

const STEP_MS = 30_000;

describe.each(DATABASE_KINDS)('step-up for actions and vault reveals on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let app: FastifyInstance;
  let tenantId: string;
  let customerTenantId: string;
  // Real time to start with (the emulator's tokens are checked against it), moved by hand.
  const clock = new TestClock(new Date());
  let secret = '';
  let admin = { cookie: '', csrf: '' };
  let adminId = '';

  const codeNow = () =>
    new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({
      timestamp: clock.now().getTime(),
    });
  const as = (who: { cookie: string; csrf: string }, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, headers: { cookie: who.cookie, 'x-csrf-token': who.csrf }, ...(payload ? { payload } : {}) });
  const member = () => emulator.world.userAt(customerTenantId, 1)!.record;
  const countActions = async () =>
    Number(
      (
        await ctx.database.db
          .selectFrom('actions')
          .where('status', '!=', 'preview')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 16, customers: 1, usersPerTenant: 10, autoConsent: true });
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    customerTenantId = emulator.world.customers()[0]!.tenantId;
    emulator.world.setAccessRoles(customerTenantId, [ROLES.directoryReaders, ROLES.globalReader, ROLES.userAdministrator]);
    const integrationId = await connectIntegrationToEmulator(createSyncMicrosoft(ctx), emulator);
    tenantId = (
      await ctx.database.db.selectFrom('tenants').select('id').where('microsoft_tenant_id', '=', customerTenantId).executeTakeFirstOrThrow()
    ).id;
    app = await buildApp(ctx);
    await app.ready();
    adminId = (
      await createTechnician(
        { db: ctx.database.db, clock },
        { username: 'step-up-admin', password: PASSWORD, role: 'administrator' },
        { id: null, label: 'test' },
      )
    ).id;
    const plain = await signIn(app, 'step-up-admin', PASSWORD);
    secret = (await as(plain, 'POST', '/api/me/mfa/totp')).json().secret;
    expect((await as(plain, 'POST', '/api/me/mfa/totp/confirm', { code: codeNow() })).statusCode).toBe(200);
    clock.advance(STEP_MS);
    const first = await app.inject({ method: 'POST', url: '/api/session', payload: { username: 'step-up-admin', password: PASSWORD } });
    const challenge = first.cookies.find((c) => c.name === 'docsync_sign_in')!;
    const second = await app.inject({
      method: 'POST',
      url: '/api/session/mfa',
      headers: { cookie: `docsync_sign_in=${challenge.value}` },
      payload: { method: 'totp', code: codeNow() },
    });
    expect(second.statusCode).toBe(200);
    admin = { cookie: sessionCookie(second), csrf: second.json().csrfToken };
    expect((await as(admin, 'POST', `/api/integrations/${integrationId}/actions`, { enabled: true })).statusCode).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await emulator?.close();
  });

  const rotation = (preview: boolean) => ({ kind: 'password_rotation', tenantId, userIds: [member().id], preview });

  it('queues an action with a second factor proved within the window, and refuses an older one until it is confirmed again', async () => {
    clock.advance(14 * 60_000);
    expect((await as(admin, 'POST', '/api/actions', rotation(false))).statusCode).toBe(202);
    const before = await countActions();
    clock.advance(2 * 60_000);
    const stale = await as(admin, 'POST', '/api/actions', rotation(false));
    expect(stale.statusCode).toBe(403);
    expect(stale.json().error.code).toBe('step_up_required');
    expect(await countActions()).toBe(before);
    // A preview changes nothing: no step-up.
    expect((await as(admin, 'POST', '/api/actions', rotation(true))).statusCode).toBe(200);
    // Resuming is a write too: refused before the action is even looked at.
    const queued = await ctx.database.db
      .selectFrom('actions')
      .select(['id', 'status'])
      .where('status', '!=', 'preview')
      .executeTakeFirstOrThrow();
    const resume = await as(admin, 'POST', `/api/actions/${queued.id}/resume`);
    expect([resume.statusCode, resume.json().error.code]).toEqual([403, 'step_up_required']);
    expect(
      (await ctx.database.db.selectFrom('actions').select('status').where('id', '=', queued.id).executeTakeFirstOrThrow()).status,
    ).toBe(queued.status);
    clock.advance(STEP_MS);
    expect((await as(admin, 'POST', '/api/me/mfa/verify', { method: 'totp', code: codeNow() })).statusCode).toBe(200);
    expect((await as(admin, 'POST', '/api/actions', rotation(false))).statusCode).toBe(202);
    expect(await countActions()).toBe(before + 1);
  });

  it('reveals a vault password only with a fresh second factor, and audits no reveal that was refused', async () => {
    const org = await ctx.database.db.insertInto('organizations').values({ name: 'Step-up Org' }).returning('id').executeTakeFirstOrThrow();
    const added = await as(admin, 'POST', `/api/organizations/${org.id}/vault`, {
      name: 'Switch',
      username: 'admin',
      password: 'Sw1tch-pass!',
    });
    expect(added.statusCode).toBe(201);
    clock.advance(16 * 60_000);
    const stale = await as(admin, 'POST', `/api/vault/${added.json().id}/reveal`);
    expect([stale.statusCode, stale.json().error.code]).toEqual([403, 'step_up_required']);
    expect(stale.body).not.toContain('Sw1tch-pass!');
    const reveals = () =>
      ctx.database.db
        .selectFrom('audit_log')
        .select('id')
        .where('action', '=', 'vault.reveal')
        .where('subject_id', '=', added.json().id)
        .execute();
    expect(await reveals()).toHaveLength(0);
    // An API token cannot prove a fresh factor: refused for an account that has one.
    const token = (await createApiToken(ctx.database.db, clock, adminId, 'tests')).token;
    const byToken = await app.inject({
      method: 'POST',
      url: `/api/vault/${added.json().id}/reveal`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect([byToken.statusCode, byToken.json().error.code]).toEqual([403, 'step_up_required']);
    clock.advance(STEP_MS);
    expect((await as(admin, 'POST', '/api/me/mfa/verify', { method: 'totp', code: codeNow() })).statusCode).toBe(200);
    const revealed = await as(admin, 'POST', `/api/vault/${added.json().id}/reveal`);
    expect([revealed.statusCode, revealed.json().password]).toEqual([200, 'Sw1tch-pass!']);
    expect(await reveals()).toHaveLength(1);
  });

  it('lets an account without a second factor act and reveal when MFA is not required: step-up is as strong as the account', async () => {
    await createTechnician(
      { db: ctx.database.db, clock },
      { username: 'no-mfa-admin', password: PASSWORD, role: 'administrator' },
      { id: null, label: 'test' },
    );
    const plain = await signIn(app, 'no-mfa-admin', PASSWORD);
    const org = await ctx.database.db.insertInto('organizations').values({ name: 'Plain Org' }).returning('id').executeTakeFirstOrThrow();
    const added = await as(plain, 'POST', `/api/organizations/${org.id}/vault`, { name: 'NAS', password: 'N4s-pass!' });
    // Past the step-up window (15 minutes), within the session's idle timeout.
    clock.advance(20 * 60_000);
    expect((await as(plain, 'POST', `/api/vault/${added.json().id}/reveal`)).statusCode).toBe(200);
    expect((await as(plain, 'POST', '/api/actions', rotation(false))).statusCode).toBe(202);
  });
});
