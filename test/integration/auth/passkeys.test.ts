// Passkeys over the API on both databases, with a software authenticator (real ES256 keys, real
// CBOR attestation objects, real signatures): registering several, the second step of a sign-in,
// step-up, removal, the passwordless sign-in an administrator allows, and each refusal (another
// origin, a replayed counter, an unknown credential, an expired or reused challenge).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relyingPartyFor } from '../../../src/auth/passkeys.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { SoftwareAuthenticator, type SoftwareCredential } from '../../support/software-authenticator.ts';
import { accountsOn, PASSWORD, sessionCookie, startWebWorld, type Account, type WebWorld } from '../web/support.ts';

describe.each(DATABASE_KINDS)('passkeys on %s', (kind) => {
  let world: WebWorld;
  let authenticator: SoftwareAuthenticator;
  beforeAll(async () => {
    world = await startWebWorld(kind);
    const { publicBaseUrl } = world.ctx.config.http;
    const rp = relyingPartyFor(world.ctx.config);
    authenticator = new SoftwareAuthenticator(publicBaseUrl ? new URL(publicBaseUrl).origin : 'http://localhost:8080', rp.id);
  });
  afterAll(async () => {
    await world?.close();
  });

  const { from, newAccount, as } = accountsOn(() => world, '198.51.100');

  async function register(account: Account, name: string): Promise<SoftwareCredential> {
    const options = await as(account, 'POST', '/api/me/mfa/webauthn/registration-options');
    expect(options.statusCode).toBe(200);
    const credential = authenticator.newCredential();
    const created = await as(account, 'POST', '/api/me/mfa/webauthn', {
      name,
      attestation: authenticator.attest(credential, options.json()),
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().name).toBe(name);
    return credential;
  }

  /** Password, then the passkey options for the second step: the sign-in cookie and the options. */
  async function passwordStep(username: string) {
    const first = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: from(),
      payload: { username, password: PASSWORD },
    });
    expect(first.statusCode).toBe(200);
    const cookie = `docsync_sign_in=${first.cookies.find((c) => c.name === 'docsync_sign_in')!.value}`;
    const options = await world.app.inject({
      method: 'POST',
      url: '/api/session/mfa/webauthn-options',
      remoteAddress: from(),
      headers: { cookie },
    });
    expect(options.statusCode).toBe(200);
    return { first, cookie, options: options.json() };
  }

  const completeWith = (cookie: string, assertion: object) =>
    world.app.inject({
      method: 'POST',
      url: '/api/session/mfa',
      remoteAddress: from(),
      headers: { cookie },
      payload: { method: 'webauthn', assertion },
    });

  const refusals = (technicianId: string) =>
    world.ctx.database.db
      .selectFrom('audit_log')
      .select('after')
      .where('action', '=', 'technician.mfa_failed')
      .where('subject_id', '=', technicianId)
      .execute()
      .then((rows) => rows.map((r) => (typeof r.after === 'string' ? JSON.parse(r.after) : r.after).reason));

  it('registers several named passkeys, lists them, and asks for one at sign-in', async () => {
    const account = await newAccount('two-keys-tech');
    await register(account, 'Laptop');
    await register(account, 'YubiKey 5C');
    const me = await as(account, 'GET', '/api/me/mfa');
    expect(me.json().passkeys.map((p: { name: string }) => p.name)).toEqual(['Laptop', 'YubiKey 5C']);
    const { first } = await passwordStep('two-keys-tech');
    expect(first.json()).toEqual({ mfaRequired: true, methods: ['webauthn'] });
  });

  it('signs in with a passkey as the second factor, and that sign-in counts as a fresh second factor', async () => {
    const account = await newAccount('passkey-signin-tech');
    const credential = await register(account, 'Laptop');
    const { cookie, options } = await passwordStep('passkey-signin-tech');
    expect(options.allowCredentials).toHaveLength(1);
    const done = await completeWith(cookie, authenticator.assert(credential, options));
    expect(done.statusCode).toBe(200);
    expect(done.json().technician.username).toBe('passkey-signin-tech');
    const session = { cookie: sessionCookie(done), csrf: done.json().csrfToken };
    expect((await as(session, 'GET', '/api/me/mfa')).json().secondFactorAt).toBe(world.clock.now().toISOString());
    const stored = await world.ctx.database.db
      .selectFrom('webauthn_credentials')
      .select(['sign_count', 'last_used_at'])
      .where('technician_id', '=', account.id)
      .executeTakeFirstOrThrow();
    expect(Number(stored.sign_count)).toBe(1);
    expect(stored.last_used_at).not.toBeNull();
  });

  it('refuses an answer for another origin, an unknown key, a replayed counter and an expired challenge, auditing each', async () => {
    const account = await newAccount('refusals-tech');
    const credential = await register(account, 'Laptop');

    let step = await passwordStep('refusals-tech');
    const elsewhere = await completeWith(
      step.cookie,
      authenticator.assert(credential, step.options, { origin: 'https://docsync.example.net' }),
    );
    expect(elsewhere.statusCode).toBe(401);
    expect(elsewhere.json().error.code).toBe('passkey_refused');
    expect(elsewhere.json().error.message).toContain('https://docsync.example.net');

    step = await passwordStep('refusals-tech');
    const stranger = await completeWith(step.cookie, authenticator.assert(authenticator.newCredential(), step.options));
    expect(stranger.statusCode).toBe(401);

    step = await passwordStep('refusals-tech');
    const good = await completeWith(step.cookie, authenticator.assert(credential, step.options));
    expect(good.statusCode).toBe(200);
    step = await passwordStep('refusals-tech');
    const replayed = await completeWith(step.cookie, authenticator.assert(credential, step.options, { counter: credential.counter }));
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json().error.message).toMatch(/counter/);

    step = await passwordStep('refusals-tech');
    const answer = authenticator.assert(credential, step.options);
    world.clock.advance(5 * 60 * 1000 + 1);
    // The sign-in itself lasts five minutes too: start a fresh one and answer the old challenge.
    const fresh = await passwordStep('refusals-tech');
    const expired = await completeWith(fresh.cookie, answer);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.message).toMatch(/expired/);
    // The same answer again: its challenge is spent.
    const reused = await completeWith(fresh.cookie, answer);
    expect(reused.json().error.message).toMatch(/unknown or was already used/);

    expect(await refusals(account.id)).toEqual([
      'wrong_origin',
      'unknown_credential',
      'replayed_counter',
      'expired_challenge',
      'unknown_challenge',
    ]);
    for (const response of [elsewhere, stranger, replayed, expired, reused])
      expect(response.cookies.find((c) => c.name === 'docsync_session')).toBeUndefined();
    const stored = await world.ctx.database.db
      .selectFrom('webauthn_credentials')
      .select('sign_count')
      .where('technician_id', '=', account.id)
      .executeTakeFirstOrThrow();
    // Only the accepted answer (the authenticator's second signature) moved the stored counter.
    expect(Number(stored.sign_count)).toBe(2);
  });

  it('stores nothing when a registration answers another origin or an expired challenge', async () => {
    const account = await newAccount('bad-register-tech');
    let options = (await as(account, 'POST', '/api/me/mfa/webauthn/registration-options')).json();
    const elsewhere = await as(account, 'POST', '/api/me/mfa/webauthn', {
      name: 'Phone',
      attestation: authenticator.attest(authenticator.newCredential(), options, { origin: 'https://evil.example.com' }),
    });
    expect(elsewhere.statusCode).toBe(401);
    options = (await as(account, 'POST', '/api/me/mfa/webauthn/registration-options')).json();
    world.clock.advance(5 * 60 * 1000 + 1);
    const expired = await as(account, 'POST', '/api/me/mfa/webauthn', {
      name: 'Phone',
      attestation: authenticator.attest(authenticator.newCredential(), options),
    });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.message).toMatch(/expired/);
    expect(
      await world.ctx.database.db.selectFrom('webauthn_credentials').where('technician_id', '=', account.id).select('id').execute(),
    ).toEqual([]);
    const audited = await world.ctx.database.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'technician.passkey_register_refused')
      .where('subject_id', '=', account.id)
      .execute();
    expect(audited).toHaveLength(2);
  });

  it('removes a passkey only with a fresh second factor, which a passkey can give', async () => {
    const account = await newAccount('remove-key-tech');
    const laptop = await register(account, 'Laptop');
    await register(account, 'Old key');
    const { cookie, options } = await passwordStep('remove-key-tech');
    const done = await completeWith(cookie, authenticator.assert(laptop, options));
    const session = { cookie: sessionCookie(done), csrf: done.json().csrfToken };
    const oldKey = (await as(session, 'GET', '/api/me/mfa')).json().passkeys[1];
    world.clock.advance(16 * 60 * 1000);
    const stale = await as(session, 'DELETE', `/api/me/mfa/webauthn/${oldKey.id}`);
    expect(stale.statusCode).toBe(403);
    expect(stale.json().error.code).toBe('step_up_required');
    const stepUpOptions = (await as(session, 'POST', '/api/me/mfa/webauthn/authentication-options')).json();
    const verified = await as(session, 'POST', '/api/me/mfa/verify', {
      method: 'webauthn',
      assertion: authenticator.assert(laptop, stepUpOptions),
    });
    expect(verified.statusCode).toBe(200);
    expect((await as(session, 'DELETE', `/api/me/mfa/webauthn/${oldKey.id}`)).statusCode).toBe(204);
    expect((await as(session, 'GET', '/api/me/mfa')).json().passkeys.map((p: { name: string }) => p.name)).toEqual(['Laptop']);
    const audit = await world.ctx.database.db
      .selectFrom('audit_log')
      .select('before')
      .where('action', '=', 'technician.passkey_remove')
      .where('subject_id', '=', account.id)
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('signs in with a discoverable passkey alone only once an administrator allows it', async () => {
    const account = await newAccount('passwordless-tech');
    const credential = await register(account, 'Phone');
    const refused = await world.app.inject({ method: 'POST', url: '/api/session/passkey/options', remoteAddress: from() });
    expect(refused.statusCode).toBe(403);
    await world.ctx.database.db.updateTable('security_settings').set({ passwordless_passkeys: true }).execute();
    try {
      const options = (await world.app.inject({ method: 'POST', url: '/api/session/passkey/options', remoteAddress: from() })).json();
      expect(options.userVerification).toBe('required');
      expect(options.allowCredentials ?? []).toEqual([]);
      const signedIn = await world.app.inject({
        method: 'POST',
        url: '/api/session/passkey',
        remoteAddress: from(),
        payload: { assertion: authenticator.assert(credential, options) },
      });
      expect(signedIn.statusCode).toBe(200);
      expect(signedIn.json().technician.id).toBe(account.id);
      const again = await world.app.inject({
        method: 'POST',
        url: '/api/session/passkey',
        remoteAddress: from(),
        payload: { assertion: authenticator.assert(credential, options) },
      });
      expect(again.statusCode).toBe(401);
    } finally {
      await world.ctx.database.db.updateTable('security_settings').set({ passwordless_passkeys: false }).execute();
    }
  });

  it("takes every passkey away in an administrator's MFA reset", async () => {
    const admin = await newAccount('passkey-reset-admin', 'administrator');
    const account = await newAccount('passkey-reset-tech');
    await register(account, 'Laptop');
    expect((await as(admin, 'POST', `/api/technicians/${account.id}/mfa/reset`)).statusCode).toBe(204);
    const row = await world.ctx.database.db
      .selectFrom('technicians')
      .select('passkey_count')
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow();
    expect(row.passkey_count).toBe(0);
    expect(
      await world.ctx.database.db.selectFrom('webauthn_credentials').where('technician_id', '=', account.id).select('id').execute(),
    ).toEqual([]);
  });
});
