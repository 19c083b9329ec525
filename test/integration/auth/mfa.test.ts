// Multi-factor sign-in over the API on both databases: enrolment, the two-step sign-in,
// replay, drift, recovery codes, lockout, enforcement, an administrator's reset, step-up and
// API tokens. Codes are computed here from the secret and the test's clock, as an app would.
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTechnician, LOCKOUT_MS, MAX_FAILED_SIGN_INS } from '../../../src/auth/accounts.ts';
import { SIGN_IN_CHALLENGE_LIFETIME_MS } from '../../../src/auth/mfa.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { accountsOn, PASSWORD, sessionCookie, startWebWorld, type Account, type WebWorld } from '../web/support.ts';

const STEP_MS = 30_000;

describe.each(DATABASE_KINDS)('multi-factor sign-in on %s', (kind) => {
  let world: WebWorld;
  beforeAll(async () => {
    world = await startWebWorld(kind);
  });
  afterAll(async () => {
    await world?.close();
  });

  const codeAt = (secret: string, at: Date) =>
    new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at.getTime() });
  const nowCode = (secret: string) => codeAt(secret, world.clock.now());

  const { from, newAccount, as } = accountsOn(() => world, '203.0.113');

  /** Enrols an authenticator app for the signed-in account; returns its key and recovery codes. */
  async function enrol(account: Account): Promise<{ secret: string; recoveryCodes: string[] }> {
    const started = await as(account, 'POST', '/api/me/mfa/totp');
    expect(started.statusCode).toBe(200);
    const { secret } = started.json();
    const confirmed = await as(account, 'POST', '/api/me/mfa/totp/confirm', { code: nowCode(secret) });
    expect(confirmed.statusCode).toBe(200);
    // The enrolment code's step is spent: sign-ins in the same test start one step later.
    world.clock.advance(STEP_MS);
    return { secret, recoveryCodes: confirmed.json().recoveryCodes };
  }

  /** Password, then the second factor: the session cookie and CSRF token, or the failed response. */
  async function signInWithCode(username: string, method: 'totp' | 'recovery', code: string) {
    const first = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: from(),
      payload: { username, password: PASSWORD },
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ mfaRequired: true, methods: ['totp', 'recovery'] });
    const challenge = first.cookies.find((c) => c.name === 'docsync_sign_in')!;
    const second = await world.app.inject({
      method: 'POST',
      url: '/api/session/mfa',
      remoteAddress: from(),
      headers: { cookie: `docsync_sign_in=${challenge.value}` },
      payload: { method, code },
    });
    return { first, challenge: `docsync_sign_in=${challenge.value}`, second };
  }

  async function audits(action: string, subjectId: string) {
    return world.ctx.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', action)
      .where('subject_id', '=', subjectId)
      .execute();
  }

  it('enrols an authenticator app only once a code confirms it, keeping the key sealed and the recovery codes hashed', async () => {
    const account = await newAccount('enrolling-tech');
    const started = await as(account, 'POST', '/api/me/mfa/totp');
    const { secret, otpauthUrl, qrSvg } = started.json();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUrl).toBe(`otpauth://totp/docsync:enrolling-tech?issuer=docsync&secret=${secret}&algorithm=SHA1&digits=6&period=30`);
    expect(qrSvg).toMatch(/^<svg[^>]*>.*<\/svg>\s*$/s);
    expect(qrSvg).not.toMatch(/<script|style=/i);

    const wrong = await as(account, 'POST', '/api/me/mfa/totp/confirm', {
      code: String((Number(nowCode(secret)) + 1) % 1_000_000).padStart(6, '0'),
    });
    expect(wrong.statusCode).toBe(400);
    expect((await as(account, 'GET', '/api/me/mfa')).json().totp).toBe(false);

    const confirmed = await as(account, 'POST', '/api/me/mfa/totp/confirm', { code: nowCode(secret) });
    expect(confirmed.statusCode).toBe(200);
    const { recoveryCodes } = confirmed.json();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);

    const row = await world.ctx.database.db.selectFrom('technicians').selectAll().where('id', '=', account.id).executeTakeFirstOrThrow();
    expect(row.totp_secret_encrypted).toMatch(/^v1:/);
    expect(row.totp_secret_encrypted).not.toContain(secret);
    expect(world.ctx.secrets.open(row.totp_secret_encrypted!)).toBe(secret);
    const stored = await world.ctx.database.db
      .selectFrom('recovery_codes')
      .select('code_hash')
      .where('technician_id', '=', account.id)
      .execute();
    expect(stored).toHaveLength(10);
    expect(stored.map((s) => s.code_hash).join()).not.toContain(recoveryCodes[0].replaceAll('-', ''));
    expect(await audits('technician.mfa_totp_enrol', account.id)).toHaveLength(1);
    expect((await as(account, 'POST', '/api/me/mfa/totp')).statusCode).toBe(409);
  });

  it('asks for the second factor after a right password, with no session until the code is right', async () => {
    const account = await newAccount('two-step-tech');
    const { secret } = await enrol(account);
    const { first, second } = await signInWithCode('two-step-tech', 'totp', nowCode(secret));
    expect(first.cookies.find((c) => c.name === 'docsync_session')).toBeUndefined();
    expect(second.statusCode).toBe(200);
    expect(second.json().technician).toMatchObject({ username: 'two-step-tech', mfaEnrolled: true });
    const me = await world.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: sessionCookie(second) } });
    expect(me.json().username).toBe('two-step-tech');
  });

  it('accepts a code once only: the same code again is refused and audited', async () => {
    const account = await newAccount('replay-tech');
    const { secret } = await enrol(account);
    const code = nowCode(secret);
    expect((await signInWithCode('replay-tech', 'totp', code)).second.statusCode).toBe(200);
    const replay = await signInWithCode('replay-tech', 'totp', code);
    expect(replay.second.statusCode).toBe(401);
    expect(replay.second.json().error.code).toBe('invalid_code');
    expect(replay.second.cookies.find((c) => c.name === 'docsync_session')).toBeUndefined();
    expect(await audits('technician.mfa_failed', account.id)).toHaveLength(1);
  });

  it('allows one step of clock drift either way, and no more', async () => {
    const account = await newAccount('drift-tech');
    const { secret } = await enrol(account);
    world.clock.advance(10 * STEP_MS);
    const now = world.clock.now();
    const twoBehind = await signInWithCode('drift-tech', 'totp', codeAt(secret, new Date(now.getTime() - 2 * STEP_MS)));
    expect(twoBehind.second.statusCode).toBe(401);
    const twoAhead = await signInWithCode('drift-tech', 'totp', codeAt(secret, new Date(now.getTime() + 2 * STEP_MS)));
    expect(twoAhead.second.statusCode).toBe(401);
    expect((await signInWithCode('drift-tech', 'totp', codeAt(secret, new Date(now.getTime() - STEP_MS)))).second.statusCode).toBe(200);
    expect((await signInWithCode('drift-tech', 'totp', codeAt(secret, new Date(now.getTime() + STEP_MS)))).second.statusCode).toBe(200);
    // After the phone's code one step ahead, the current step's code is older: refused too.
    expect((await signInWithCode('drift-tech', 'totp', codeAt(secret, now))).second.statusCode).toBe(401);
  });

  it('refuses malformed codes, a missing or expired sign-in, and never starts a session', async () => {
    const account = await newAccount('bad-input-tech');
    const { secret } = await enrol(account);
    for (const code of ['12345', '1234567', 'abcdef', '12 34 5x']) {
      const response = await signInWithCode('bad-input-tech', 'totp', code);
      expect(response.second.statusCode).toBe(401);
      expect(response.second.json().error.message).toMatch(/wrong, expired or was used/);
    }
    await world.ctx.database.db.updateTable('technicians').set({ failed_logins: 0 }).where('id', '=', account.id).execute();
    const noChallenge = await world.app.inject({
      method: 'POST',
      url: '/api/session/mfa',
      remoteAddress: from(),
      payload: { method: 'totp', code: nowCode(secret) },
    });
    expect(noChallenge.statusCode).toBe(401);
    expect(noChallenge.json().error.code).toBe('sign_in_expired');
    const first = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: from(),
      payload: { username: 'bad-input-tech', password: PASSWORD },
    });
    const challenge = first.cookies.find((c) => c.name === 'docsync_sign_in')!.value;
    world.clock.advance(SIGN_IN_CHALLENGE_LIFETIME_MS + 1000);
    const late = await world.app.inject({
      method: 'POST',
      url: '/api/session/mfa',
      remoteAddress: from(),
      headers: { cookie: `docsync_sign_in=${challenge}` },
      payload: { method: 'totp', code: nowCode(secret) },
    });
    expect(late.statusCode).toBe(401);
    expect(late.json().error.code).toBe('sign_in_expired');
    const badMethod = await world.app.inject({
      method: 'POST',
      url: '/api/session/mfa',
      remoteAddress: from(),
      payload: { method: 'sms', code: '123456' },
    });
    expect(badMethod.statusCode).toBe(400);
  });

  it('counts wrong codes towards the password lockout, and a right password does not reset the count', async () => {
    const account = await newAccount('lockout-tech');
    const { secret } = await enrol(account);
    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) statuses.push((await signInWithCode('lockout-tech', 'totp', '000000')).second.statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const locked = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: from(),
      payload: { username: 'lockout-tech', password: PASSWORD },
    });
    // A locked account's password sign-in answers like any wrong one (no account enumeration).
    expect(locked.statusCode).toBe(401);
    expect(locked.json().error.code).toBe('invalid_credentials');
    world.clock.advance(LOCKOUT_MS + 1000);
    expect((await signInWithCode('lockout-tech', 'totp', nowCode(secret))).second.statusCode).toBe(200);
    expect(await audits('technician.locked_out', account.id)).toHaveLength(1);
  });

  it('signs in with a recovery code once, and regenerating the codes voids the old ones', async () => {
    const account = await newAccount('recovery-tech');
    const { recoveryCodes } = await enrol(account);
    const used = await signInWithCode('recovery-tech', 'recovery', recoveryCodes[3]!.toUpperCase());
    expect(used.second.statusCode).toBe(200);
    expect((await signInWithCode('recovery-tech', 'recovery', recoveryCodes[3]!)).second.statusCode).toBe(401);
    const session = { cookie: sessionCookie(used.second), csrf: used.second.json().csrfToken };
    expect((await as(session, 'GET', '/api/me/mfa')).json().recoveryCodesLeft).toBe(9);
    const regenerated = await as(session, 'POST', '/api/me/mfa/recovery-codes');
    expect(regenerated.statusCode).toBe(200);
    expect((await signInWithCode('recovery-tech', 'recovery', recoveryCodes[4]!)).second.statusCode).toBe(401);
    expect((await signInWithCode('recovery-tech', 'recovery', regenerated.json().recoveryCodes[0])).second.statusCode).toBe(200);
    expect(await audits('technician.mfa_recovery_code_used', account.id)).toHaveLength(2);
  });

  it('sends a technician without a second factor to enrolment when MFA is required, and lets them do nothing else', async () => {
    const admin = await newAccount('enforcing-admin', 'administrator');
    expect((await as(admin, 'PATCH', '/api/settings/security', { mfaRequired: true })).statusCode).toBe(200);
    try {
      await createTechnician(
        { db: world.ctx.database.db, clock: world.clock },
        { username: 'new-hire', password: PASSWORD, role: 'technician' },
        { id: null, label: 'test' },
      );
      const response = await world.app.inject({
        method: 'POST',
        url: '/api/session',
        remoteAddress: from(),
        payload: { username: 'new-hire', password: PASSWORD },
      });
      expect(response.json()).toMatchObject({ mfaEnrolmentRequired: true, technician: { username: 'new-hire' } });
      const hire = {
        id: response.json().technician.id,
        username: 'new-hire',
        cookie: sessionCookie(response),
        csrf: response.json().csrfToken,
      };
      const blocked = await as(hire, 'GET', '/api/integrations');
      expect(blocked.statusCode).toBe(403);
      expect(blocked.json().error.code).toBe('mfa_enrolment_required');
      const page = await as(hire, 'GET', '/organizations');
      expect(page.statusCode).toBe(303);
      expect(page.headers.location).toBe('/account/mfa');
      expect((await as(hire, 'POST', '/api/me/tokens', { name: 'sneaky' })).statusCode).toBe(403);
      await enrol(hire);
      expect((await as(hire, 'GET', '/api/integrations')).statusCode).toBe(200);
      // The administrator who turned it on has no second factor yet either: their next sign-in enrols.
      const adminAgain = await world.app.inject({
        method: 'POST',
        url: '/api/session',
        remoteAddress: from(),
        payload: { username: 'enforcing-admin', password: PASSWORD },
      });
      expect(adminAgain.json().mfaEnrolmentRequired).toBe(true);
    } finally {
      await world.ctx.database.db.updateTable('security_settings').set({ mfa_required: false }).execute();
    }
    expect(
      await world.ctx.database.db.selectFrom('audit_log').select('after').where('action', '=', 'security_settings.update').execute(),
    ).toHaveLength(1);
  });

  it("lets an administrator reset a technician's second factor: audited, their sessions end, they enrol again", async () => {
    const admin = await newAccount('resetting-admin', 'administrator');
    const account = await newAccount('lost-phone-tech');
    const { secret } = await enrol(account);
    const signedIn = await signInWithCode('lost-phone-tech', 'totp', nowCode(secret));
    const reset = await as(admin, 'POST', `/api/technicians/${account.id}/mfa/reset`);
    expect(reset.statusCode).toBe(204);
    expect(
      (await world.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: sessionCookie(signedIn.second) } })).statusCode,
    ).toBe(401);
    const audit = await audits('technician.mfa_reset', account.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_label).toBe('resetting-admin');
    const next = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: from(),
      payload: { username: 'lost-phone-tech', password: PASSWORD },
    });
    expect(next.json().technician.mfaEnrolled).toBe(false);
    expect(
      await world.ctx.database.db.selectFrom('recovery_codes').select('id').where('technician_id', '=', account.id).execute(),
    ).toHaveLength(0);
  });

  it('asks for a fresh second factor to change a role or remove the authenticator when the last one is older than the window', async () => {
    const admin = await newAccount('step-up-admin', 'administrator');
    const { secret } = await enrol(admin);
    const signed = await signInWithCode('step-up-admin', 'totp', nowCode(secret));
    const session = { cookie: sessionCookie(signed.second), csrf: signed.second.json().csrfToken };
    const target = await newAccount('promoted-tech');
    world.clock.advance(14 * 60_000);
    expect((await as(session, 'PATCH', `/api/technicians/${target.id}`, { role: 'read_only' })).statusCode).toBe(200);
    world.clock.advance(2 * 60_000);
    const stale = await as(session, 'PATCH', `/api/technicians/${target.id}`, { role: 'technician' });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().error.code).toBe('step_up_required');
    expect((await as(session, 'DELETE', '/api/me/mfa/totp')).statusCode).toBe(403);
    const wrong = await as(session, 'POST', '/api/me/mfa/verify', { method: 'totp', code: '000000' });
    expect(wrong.statusCode).toBe(401);
    expect((await as(session, 'POST', '/api/me/mfa/verify', { method: 'totp', code: nowCode(secret) })).statusCode).toBe(200);
    expect((await as(session, 'PATCH', `/api/technicians/${target.id}`, { role: 'technician' })).statusCode).toBe(200);

    // The window is a setting: at 60 minutes, a 30-minute-old confirmation still counts.
    expect((await as(session, 'PATCH', '/api/settings/security', { stepUpMinutes: 60 })).statusCode).toBe(200);
    world.clock.advance(30 * 60_000);
    expect((await as(session, 'DELETE', '/api/me/mfa/totp')).statusCode).toBe(204);
    expect(await audits('technician.mfa_totp_remove', admin.id)).toHaveLength(1);
    await world.ctx.database.db.updateTable('security_settings').set({ step_up_minutes: 15 }).execute();
  });

  it('mints API tokens for an account that must use MFA only from a session that proved it', async () => {
    const account = await newAccount('token-tech');
    const { secret } = await enrol(account);
    const passwordOnlySession = { cookie: account.cookie, csrf: account.csrf };
    // The session of enrolment proved the factor; a session from before an account needed MFA did not.
    await world.ctx.database.db.updateTable('sessions').set({ second_factor_at: null }).where('technician_id', '=', account.id).execute();
    const refused = await as(passwordOnlySession, 'POST', '/api/me/tokens', { name: 'nightly' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('mfa_required');
    const signed = await signInWithCode('token-tech', 'totp', nowCode(secret));
    const minted = await as({ cookie: sessionCookie(signed.second), csrf: signed.second.json().csrfToken }, 'POST', '/api/me/tokens', {
      name: 'nightly',
    });
    expect(minted.statusCode).toBe(201);
    const byToken = await world.app.inject({
      method: 'POST',
      url: '/api/me/tokens',
      headers: { authorization: `Bearer ${minted.json().token}` },
      payload: { name: 'from a token' },
    });
    expect(byToken.statusCode).toBe(403);
    expect(byToken.json().error.code).toBe('mfa_required');
  });

  it('sends the sign-in form to the code page for an account with a second factor, and to enrolment when one is required', async () => {
    const account = await newAccount('form-tech');
    const { secret } = await enrol(account);
    const form = await world.app.inject({
      method: 'POST',
      url: '/sign-in',
      remoteAddress: from(),
      payload: { username: 'form-tech', password: PASSWORD, next: '/account' },
    });
    expect(form.statusCode).toBe(303);
    expect(form.headers.location).toBe('/sign-in/code?next=%2Faccount');
    expect(form.cookies.find((c) => c.name === 'docsync_session')).toBeUndefined();
    const challenge = `docsync_sign_in=${form.cookies.find((c) => c.name === 'docsync_sign_in')!.value}`;
    const wrong = await world.app.inject({
      method: 'POST',
      url: '/sign-in/code',
      remoteAddress: from(),
      headers: { cookie: challenge },
      payload: { method: 'totp', code: '000000', next: '/account' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('The code is wrong, expired or was used already.');
    const right = await world.app.inject({
      method: 'POST',
      url: '/sign-in/code',
      remoteAddress: from(),
      headers: { cookie: challenge },
      payload: { method: 'totp', code: nowCode(secret), next: '/account' },
    });
    expect(right.statusCode).toBe(303);
    expect(right.headers.location).toBe('/account');
    const again = await world.app.inject({
      method: 'POST',
      url: '/sign-in/code',
      remoteAddress: from(),
      headers: { cookie: challenge },
      payload: { method: 'totp', code: nowCode(secret), next: '/account' },
    });
    expect(again.headers.location).toBe('/sign-in?next=%2Faccount&expired=1');

    await world.ctx.database.db.updateTable('security_settings').set({ mfa_required: true }).execute();
    try {
      await createTechnician(
        { db: world.ctx.database.db, clock: world.clock },
        { username: 'form-hire', password: PASSWORD, role: 'technician' },
        { id: null, label: 'test' },
      );
      const hire = await world.app.inject({
        method: 'POST',
        url: '/sign-in',
        remoteAddress: from(),
        payload: { username: 'form-hire', password: PASSWORD, next: '/organizations' },
      });
      expect(hire.headers.location).toBe('/account/mfa');
      const page = await world.app.inject({ method: 'GET', url: '/account/mfa', headers: { cookie: sessionCookie(hire) } });
      expect(page.body.replace(/\s+/g, ' ')).toContain(
        'Your administrator requires a second factor for every technician. Set up an authenticator app to continue.',
      );
      expect(page.body).not.toContain('href="/integrations"');
    } finally {
      await world.ctx.database.db.updateTable('security_settings').set({ mfa_required: false }).execute();
    }
  });

  it('asks for a fresh second factor before an integration gets a new client secret, and stores nothing until then', async () => {
    const admin = await newAccount('secret-admin', 'administrator');
    const { secret } = await enrol(admin);
    const db = world.ctx.database.db;
    const integration = await db
      .insertInto('integrations')
      .values({
        kind: 'gdap',
        name: 'Step-up Partners',
        partner_tenant_id: 'partner-tenant',
        client_id: 'client-id',
        client_secret_encrypted: world.ctx.secrets.seal('old secret'),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    world.clock.advance(16 * 60_000);
    const stale = await as(admin, 'PATCH', `/api/integrations/${integration.id}`, { clientSecret: 'new secret value' });
    expect(stale.statusCode).toBe(403);
    expect(stale.json().error.code).toBe('step_up_required');
    const stored = await db
      .selectFrom('integrations')
      .select('client_secret_encrypted')
      .where('id', '=', integration.id)
      .executeTakeFirstOrThrow();
    expect(world.ctx.secrets.open(stored.client_secret_encrypted!)).toBe('old secret');
    // A rename is not sensitive: no step-up.
    expect((await as(admin, 'PATCH', `/api/integrations/${integration.id}`, { name: 'Renamed Partners' })).statusCode).toBe(200);
    expect((await as(admin, 'POST', '/api/me/mfa/verify', { method: 'totp', code: nowCode(secret) })).statusCode).toBe(200);
    expect((await as(admin, 'PATCH', `/api/integrations/${integration.id}`, { clientSecret: 'new secret value' })).statusCode).toBe(200);
    const updated = await db
      .selectFrom('integrations')
      .select('client_secret_encrypted')
      .where('id', '=', integration.id)
      .executeTakeFirstOrThrow();
    expect(world.ctx.secrets.open(updated.client_secret_encrypted!)).toBe('new secret value');
  });
});
