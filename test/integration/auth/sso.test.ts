// "Sign in with Microsoft" on both databases against the emulator's identity platform over
// real HTTP: discovery, authorize with PKCE and a nonce, the token endpoint, ID tokens signed
// with the key published at the JWKS endpoint. Matching by object id and email, group → role
// mapping, auto-creation, SSO only, and every refusal (state, Microsoft's errors, bad tokens).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../../src/app.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import { SsoFailed, verifyIdToken } from '../../../src/auth/sso.ts';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { partnerStaff, staffGroups } from '../../../src/emulator/identity/staff.ts';
import type { DatabaseKind } from '../../../src/db/database.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { PASSWORD, sessionCookie, TestClock } from '../web/support.ts';

interface SsoWorld {
  ctx: TestContext;
  app: FastifyInstance;
  close(): Promise<void>;
}

describe.each(DATABASE_KINDS)('single sign-on with Entra ID on %s', (kind: DatabaseKind) => {
  let emulator: RunningEmulator;
  let clock: TestClock;
  let world: SsoWorld;
  let address = 0;
  const from = () => `198.18.${Math.floor(address / 250) % 250}.${(address++ % 250) + 1}`;

  async function startWorld(sso: Record<string, unknown>): Promise<SsoWorld> {
    const { partnerTenantId, clientId, clientSecret } = emulator.credentials;
    const ctx = await createTestContext(kind, {
      config: {
        microsoft: { authorityHost: emulator.urls.authorityHost, graphBaseUrl: emulator.urls.graphBaseUrl },
        sso: { tenantId: partnerTenantId, clientId, clientSecret, ...sso } as never,
      },
      overrides: { clock },
    });
    const app = await buildApp(ctx);
    await app.ready();
    return { ctx, app, close: async () => (await app.close(), await ctx.close()) };
  }

  beforeAll(async () => {
    clock = new TestClock(new Date());
    emulator = await startEmulator({ seed: 7, customers: 2, usersPerTenant: 3, clock });
    const groups = staffGroups(emulator.world.partner);
    world = await startWorld({ autoCreate: true, defaultRole: 'read_only', groupRoles: { [groups.administrators]: 'administrator' } });
  });
  afterAll(async () => {
    await world?.close();
    await emulator?.close();
  });

  const staff = (alias: string) => partnerStaff(emulator.world.partner).find((s) => s.userPrincipalName.startsWith(`${alias}@`))!;

  /** The whole round trip: docsync → Microsoft's sign-in page (the person types) → docsync's callback. */
  async function signInWithMicrosoft(
    target: SsoWorld,
    alias: string,
    options: { password?: string; decision?: string; cookie?: (state: string) => string } = {},
  ) {
    const start = await target.app.inject({ method: 'GET', url: '/auth/sso/start?next=/account', remoteAddress: from() });
    expect(start.statusCode).toBe(302);
    const state = start.cookies.find((c) => c.name === 'docsync_sso')!.value;
    const authorize = new URL(start.headers.location as string);
    const member = staff(alias);
    const page = await fetch(authorize, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        login: member.userPrincipalName,
        passwd: options.password ?? member.password,
        ...(options.decision ? { decision: options.decision } : {}),
      }),
    });
    if (page.status !== 302) return { authorize, microsoftPage: await page.text(), callback: null as LightMyRequestResponse | null, state };
    const back = new URL(page.headers.get('location')!);
    const cookie = options.cookie ? options.cookie(state) : `docsync_sso=${state}`;
    const callback = await target.app.inject({
      method: 'GET',
      url: `/auth/sso/callback${back.search}`,
      remoteAddress: from(),
      headers: { cookie },
    });
    return { authorize, microsoftPage: null, callback, state, back };
  }

  const audits = (target: SsoWorld, action: string) =>
    target.ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

  it('sends the browser to the configured authority with PKCE (S256), a nonce and the state in a cookie', async () => {
    const { authorize } = await signInWithMicrosoft(world, 'alex.tech', { password: 'not it' });
    expect(authorize.origin + authorize.pathname).toBe(
      `${emulator.urls.authorityHost}/${emulator.credentials.partnerTenantId}/oauth2/v2.0/authorize`,
    );
    const params = authorize.searchParams;
    expect(params.get('client_id')).toBe(emulator.credentials.clientId);
    expect(params.get('response_type')).toBe('code');
    expect(params.get('scope')).toBe('openid profile email');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('nonce')!.length).toBeGreaterThan(30);
    expect(params.get('redirect_uri')).toMatch(/\/auth\/sso\/callback$/);
  });

  it("signs in an Entra user whose email has an account, links the object id, and does not ask for docsync's code", async () => {
    const alex = staff('alex.tech');
    const created = await createTechnician(
      { db: world.ctx.database.db, clock },
      { username: 'alex', password: PASSWORD, role: 'technician', email: alex.userPrincipalName },
      { id: null, label: 'test' },
    );
    const { callback } = await signInWithMicrosoft(world, 'alex.tech');
    expect(callback!.statusCode).toBe(303);
    expect(callback!.headers.location).toBe('/account');
    const me = await world.app.inject({ method: 'GET', url: '/api/me/mfa', headers: { cookie: sessionCookie(callback!) } });
    expect(me.statusCode).toBe(200);
    // Microsoft's MFA (amr: mfa) counts as a fresh second factor in docsync.
    expect(me.json().secondFactorAt).toBe(clock.now().toISOString());
    const row = await world.ctx.database.db.selectFrom('technicians').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.entra_object_id).toBe(alex.id);
    const signIns = await audits(world, 'technician.sso_sign_in');
    expect(signIns.at(-1)!.after).toMatchObject({ oid: alex.id, amr: ['pwd', 'mfa'] });

    // Later sign-ins match by object id, whatever the email has become.
    await world.ctx.database.db.updateTable('technicians').set({ email: 'changed@example.com' }).where('id', '=', created.id).execute();
    clock.advance(60_000);
    const again = await signInWithMicrosoft(world, 'alex.tech');
    expect(again.callback!.statusCode).toBe(303);
    expect(
      await world.ctx.database.db.selectFrom('technicians').select('id').where('entra_object_id', '=', alex.id).execute(),
    ).toHaveLength(1);
  });

  it('creates an unknown person with the role their Entra groups map to, and applies the mapping again at each sign-in', async () => {
    const dana = staff('dana.admin');
    const { callback } = await signInWithMicrosoft(world, 'dana.admin');
    expect(callback!.statusCode).toBe(303);
    const row = await world.ctx.database.db
      .selectFrom('technicians')
      .selectAll()
      .where('entra_object_id', '=', dana.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ username: dana.userPrincipalName, role: 'administrator', display_name: 'Dana Administrator' });
    await world.ctx.database.db.updateTable('technicians').set({ role: 'read_only' }).where('id', '=', row.id).execute();
    clock.advance(60_000);
    await signInWithMicrosoft(world, 'dana.admin');
    expect(
      (await world.ctx.database.db.selectFrom('technicians').select('role').where('id', '=', row.id).executeTakeFirstOrThrow()).role,
    ).toBe('administrator');
    // A member of no mapped group gets the default role; amr without mfa is not a fresh second factor.
    const pat = await signInWithMicrosoft(world, 'pat.password');
    const patRow = await world.ctx.database.db
      .selectFrom('technicians')
      .selectAll()
      .where('entra_object_id', '=', staff('pat.password').id)
      .executeTakeFirstOrThrow();
    expect(patRow.role).toBe('read_only');
    expect(
      (await world.app.inject({ method: 'GET', url: '/api/me/mfa', headers: { cookie: sessionCookie(pat.callback!) } })).json()
        .secondFactorAt,
    ).toBeNull();
  });

  it("shows Microsoft's error for a disabled account and creates nothing", async () => {
    const { microsoftPage, callback } = await signInWithMicrosoft(world, 'former.tech');
    expect(callback).toBeNull();
    expect(microsoftPage).toContain('AADSTS50057: The user account is disabled.');
    expect(
      await world.ctx.database.db.selectFrom('technicians').select('id').where('entra_object_id', '=', staff('former.tech').id).execute(),
    ).toHaveLength(0);
  });

  it("refuses a callback whose state is not this browser's, and a replayed one, with no session", async () => {
    const mismatch = await signInWithMicrosoft(world, 'alex.tech', { cookie: () => 'docsync_sso=someone-elses-state' });
    expect(mismatch.callback!.statusCode).toBe(400);
    expect(mismatch.callback!.body).toContain('the state does not match');
    expect(mismatch.callback!.cookies.find((c) => c.name === 'docsync_session' && c.value)).toBeUndefined();
    const ok = await signInWithMicrosoft(world, 'alex.tech');
    expect(ok.callback!.statusCode).toBe(303);
    const replay = await world.app.inject({
      method: 'GET',
      url: `/auth/sso/callback${ok.back!.search}`,
      remoteAddress: from(),
      headers: { cookie: `docsync_sso=${ok.state}` },
    });
    expect(replay.statusCode).toBe(400);
    expect(replay.body).toContain('expired or was already used');
    const reasons = (await audits(world, 'technician.sso_failed')).map((a) => (a.after as { reason: string }).reason);
    expect(reasons).toEqual(expect.arrayContaining(['state_mismatch', 'state_expired']));
  });

  it("refuses with Microsoft's words when the person cancels or the app lost its consent", async () => {
    const cancelled = await signInWithMicrosoft(world, 'alex.tech', { decision: 'cancel' });
    expect(cancelled.callback!.statusCode).toBe(401);
    expect(cancelled.callback!.body).toContain('Microsoft did not sign you in: AADSTS65004: User declined to consent to access the app.');
    emulator.control.removeConsent(emulator.credentials.partnerTenantId);
    try {
      const noConsent = await signInWithMicrosoft(world, 'alex.tech');
      expect(noConsent.callback!.statusCode).toBe(401);
      expect(noConsent.callback!.body).toMatch(/Microsoft did not sign you in: AADSTS65001/);
    } finally {
      (emulator.world as unknown as { restoreConsent(t: string): void }).restoreConsent(emulator.credentials.partnerTenantId);
    }
    const failed = (await audits(world, 'technician.sso_failed')).map((a) => a.after as { reason: string; error?: string });
    expect(failed).toEqual(
      expect.arrayContaining([
        { reason: 'microsoft_error', error: 'access_denied' },
        { reason: 'token_refused', error: 'invalid_grant' },
      ]),
    );
  });

  it('refuses ID tokens with a wrong nonce, issuer, audience, signature or expiry', async () => {
    const { partnerTenantId, clientId } = emulator.credentials;
    const issuer = `${emulator.urls.authorityHost}/${partnerTenantId}/v2.0`;
    const alex = staff('alex.tech');
    const user = {
      id: alex.id,
      userPrincipalName: alex.userPrincipalName,
      displayName: alex.displayName,
      homeTenantId: partnerTenantId,
      amr: ['pwd', 'mfa'],
    };
    const token = (changes: { issuer?: string; clientId?: string; nonce?: string } = {}) =>
      emulator.tokens.issueIdToken({
        issuer: changes.issuer ?? issuer,
        tenantId: partnerTenantId,
        clientId: changes.clientId ?? clientId,
        user,
        nonce: changes.nonce ?? 'the-nonce',
      });
    const deps = { clock, config: world.ctx.config };
    await expect(verifyIdToken(deps, token(), 'the-nonce')).resolves.toMatchObject({ objectId: alex.id, amr: ['pwd', 'mfa'] });
    const refusal = async (idToken: string, nonce = 'the-nonce') => {
      const error = await verifyIdToken(deps, idToken, nonce).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SsoFailed);
      return (error as SsoFailed).message;
    };
    expect(await refusal(token(), 'another-nonce')).toMatch(/nonce/);
    expect(await refusal(token({ issuer: `${emulator.urls.authorityHost}/00000000-0000-4000-8000-000000000001/v2.0` }))).toMatch(
      /claim is wrong \(iss\)/,
    );
    expect(await refusal(token({ clientId: '11111111-2222-4333-8444-555555555555' }))).toMatch(/claim is wrong \(aud\)/);
    const [header, payload, signature] = token().split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), oid: 'someone-else' }),
    ).toString('base64url');
    expect(await refusal(`${header}.${forged}.${signature}`)).toMatch(/signature/);
    expect(await refusal('not.a.token')).toMatch(/malformed/);
    const old = token();
    clock.advance(2 * 60 * 60_000);
    expect(await refusal(old)).toMatch(/expired/);
  });

  it('in "SSO only" mode refuses passwords except the break-glass administrator, who must use MFA', async () => {
    const only = await startWorld({ autoCreate: false, only: true, breakGlassUsername: 'break-glass' });
    try {
      const db = only.ctx.database.db;
      await createTechnician(
        { db, clock },
        { username: 'break-glass', password: PASSWORD, role: 'administrator' },
        { id: null, label: 'test' },
      );
      await createTechnician(
        { db, clock },
        { username: 'password-user', password: PASSWORD, role: 'technician' },
        { id: null, label: 'test' },
      );
      // Refused alike with the right and a wrong password: the answer says nothing about the password.
      for (const password of [PASSWORD, 'a wrong password']) {
        const refused = await only.app.inject({
          method: 'POST',
          url: '/api/session',
          remoteAddress: from(),
          payload: { username: 'password-user', password },
        });
        expect(refused.statusCode).toBe(403);
        expect(refused.json().error.code).toBe('password_sign_in_disabled');
      }
      const glass = await only.app.inject({
        method: 'POST',
        url: '/api/session',
        remoteAddress: from(),
        payload: { username: 'break-glass', password: PASSWORD },
      });
      expect(glass.json().mfaEnrolmentRequired).toBe(true);
      const page = await only.app.inject({ method: 'GET', url: '/sign-in' });
      expect(page.body).toContain('Sign in with Microsoft');
      expect(page.body).toContain('Break-glass administrator sign-in');
      const glassSession = { cookie: sessionCookie(glass) };
      // The break-glass administrator enrols first; then the settings page says SSO-only is on.
      const account = await only.app.inject({ method: 'GET', url: '/account', headers: glassSession });
      expect(account.headers.location).toBe('/account/mfa');
      // Without auto-creation an unknown person is refused, and nothing is created.
      const unknown = await signInWithMicrosoft(only, 'pat.password');
      expect(unknown.callback!.statusCode).toBe(403);
      expect(unknown.callback!.body).toContain(`There is no docsync account for ${staff('pat.password').userPrincipalName}.`);
      expect(await db.selectFrom('technicians').select('id').execute()).toHaveLength(2);
    } finally {
      await only.close();
    }
  });
});
