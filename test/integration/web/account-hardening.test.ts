// Issue 13, accounts: atomic lockout, shared sign-in budgets, the setup link surviving a
// rejected attempt, API token hygiene, password and email rules, no account enumeration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.ts';
import { createTechnician, firstRunSetupLink, LOCKOUT_MS } from '../../../src/auth/accounts.ts';
import { MAX_FAILED_SIGN_INS, recordFailedSignIn } from '../../../src/auth/lockout.ts';
import { SIGN_IN_BUDGET } from '../../../src/auth/sign-in-throttle.ts';
import { createTestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, PASSWORD, signIn, startWebWorld, TestClock, type WebWorld } from './support.ts';

describe.each(DATABASE_KINDS)('account hardening on %s', (kind) => {
  let world: WebWorld;
  beforeAll(async () => {
    world = await startWebWorld(kind);
  });
  afterAll(async () => {
    await world?.close();
  });

  let addresses = 0;
  const freshAddress = () => `192.0.2.${(++addresses % 250) + 1}`;
  const signInAs = (username: string, password: string, remoteAddress = freshAddress()) =>
    world.app.inject({ method: 'POST', url: '/api/session', remoteAddress, payload: { username, password } });
  const newTechnician = (username: string, role: 'technician' | 'read_only' = 'technician') =>
    createTechnician(
      { db: world.ctx.database.db, clock: world.clock },
      { username, password: PASSWORD, role },
      { id: null, label: 'test' },
    );

  it('counts every one of 12 parallel wrong passwords: the account locks and the right password is refused', async () => {
    await newTechnician('parallel-victim');
    const attempts = await Promise.all(Array.from({ length: 12 }, (_, i) => signInAs('parallel-victim', `wrong guess number ${i}`)));
    expect(attempts.map((a) => a.statusCode)).toEqual(Array(12).fill(401));
    const row = await world.ctx.database.db
      .selectFrom('technicians')
      .select(['locked_until', 'failed_logins'])
      .where('username', '=', 'parallel-victim')
      .executeTakeFirstOrThrow();
    expect(row.locked_until).not.toBeNull();
    expect((await signInAs('parallel-victim', PASSWORD)).statusCode).toBe(401);
  });

  it('locks exactly once when failures are recorded in parallel, and audits that one lockout', async () => {
    const victim = await newTechnician('parallel-counted');
    const now = world.clock.now();
    const outcomes = await Promise.all(
      Array.from({ length: MAX_FAILED_SIGN_INS }, () => recordFailedSignIn(world.ctx.database.db, victim.id, now)),
    );
    expect(outcomes.filter((o) => o.lockedNow)).toHaveLength(1);
    expect(outcomes.find((o) => o.lockedNow)!.lockedUntil).not.toBeNull();
    const row = await world.ctx.database.db
      .selectFrom('technicians')
      .select('locked_until')
      .where('id', '=', victim.id)
      .executeTakeFirstOrThrow();
    expect(row.locked_until).not.toBeNull();
    const audits = await world.ctx.database.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'technician.locked_out')
      .where('subject_id', '=', victim.id)
      .execute();
    expect(audits).toHaveLength(1);
  });

  it('refuses the right password sent in parallel with the wrong ones that lock the account', async () => {
    await newTechnician('racing-right');
    const wrong = Array.from({ length: MAX_FAILED_SIGN_INS + 3 }, (_, i) => signInAs('racing-right', `wrong guess number ${i}`));
    const right = signInAs('racing-right', PASSWORD);
    await Promise.all([...wrong, right]);
    const row = await world.ctx.database.db
      .selectFrom('technicians')
      .select('locked_until')
      .where('username', '=', 'racing-right')
      .executeTakeFirstOrThrow();
    expect(row.locked_until).not.toBeNull();
    expect((await signInAs('racing-right', PASSWORD)).statusCode).toBe(401);
  });

  it('answers an unknown username and a locked account the same way', async () => {
    await newTechnician('will-be-locked');
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) await signInAs('will-be-locked', `wrong guess number ${i}`);
    const locked = await signInAs('will-be-locked', PASSWORD);
    const unknown = await signInAs('never-existed', PASSWORD);
    expect(locked.statusCode).toBe(unknown.statusCode);
    expect(locked.json().error.code).toBe(unknown.json().error.code);
    expect(locked.json().error.message).toBe(unknown.json().error.message);
    const page = await world.app.inject({
      method: 'POST',
      url: '/sign-in',
      remoteAddress: freshAddress(),
      payload: { username: 'will-be-locked', password: PASSWORD },
    });
    const unknownPage = await world.app.inject({
      method: 'POST',
      url: '/sign-in',
      remoteAddress: freshAddress(),
      payload: { username: 'never-existed', password: PASSWORD },
    });
    expect(page.statusCode).toBe(unknownPage.statusCode);
    expect(page.body.replace(/will-be-locked/g, 'X')).toBe(unknownPage.body.replace(/never-existed/g, 'X'));
    world.clock.advance(LOCKOUT_MS + 1000);
    expect((await signInAs('will-be-locked', PASSWORD)).statusCode).toBe(200);
  });

  it('shares one sign-in budget per address between the API and the sign-in page', async () => {
    const address = '198.18.0.7';
    const statuses: number[] = [];
    for (let i = 0; i < SIGN_IN_BUDGET.perAddress; i++) {
      const viaPage = i % 2 === 0;
      const response = await world.app.inject({
        method: 'POST',
        url: viaPage ? '/sign-in' : '/api/session',
        remoteAddress: address,
        payload: { username: `nobody-${i}`, password: 'whatever it is' },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses.every((s) => s === 401)).toBe(true);
    const api = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: address,
      payload: { username: 'nobody', password: 'whatever it is' },
    });
    const page = await world.app.inject({
      method: 'POST',
      url: '/sign-in',
      remoteAddress: address,
      payload: { username: 'nobody', password: 'whatever it is' },
    });
    expect(api.statusCode).toBe(429);
    expect(api.json().error.code).toBe('rate_limited');
    expect(api.headers['retry-after']).toBeTruthy();
    expect(page.statusCode).toBe(429);
    world.clock.advance(SIGN_IN_BUDGET.windowMs + 1);
    expect(
      (
        await world.app.inject({
          method: 'POST',
          url: '/api/session',
          remoteAddress: address,
          payload: { username: 'nobody', password: 'whatever it is' },
        })
      ).statusCode,
    ).toBe(401);
  });

  it('limits failed sign-ins per username, whichever addresses they come from', async () => {
    for (let i = 0; i < SIGN_IN_BUDGET.perUsername; i++)
      expect((await signInAs('Spray-Target', `guess ${i} of many`)).statusCode).toBe(401);
    const next = await signInAs('spray-target', 'another guess here');
    expect(next.statusCode).toBe(429);
    expect(next.json().error).toMatchObject({ code: 'rate_limited', requestId: expect.any(String) });
    world.clock.advance(SIGN_IN_BUDGET.windowMs + 1);
  });

  it('lets only a signed-in person create API tokens, not another token', async () => {
    const created = await call(world, 'technician', 'POST', '/api/me/tokens', { name: 'parent' });
    expect(created.statusCode).toBe(201);
    const child = await world.app.inject({
      method: 'POST',
      url: '/api/me/tokens',
      headers: { authorization: `Bearer ${created.json().token}` },
      payload: { name: 'child' },
    });
    expect(child.statusCode).toBe(403);
    expect(child.json().error.code).toBe('forbidden');
  });

  it('revokes a token once: a second revoke answers the same and writes no second audit row', async () => {
    const created = await call(world, 'technician', 'POST', '/api/me/tokens', { name: 'revoke twice' });
    const id = created.json().apiToken.id;
    const first = await call(world, 'technician', 'DELETE', `/api/me/tokens/${id}`);
    const second = await call(world, 'technician', 'DELETE', `/api/me/tokens/${id}`);
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(second.json().revokedAt).toBe(first.json().revokedAt);
    const audits = await world.ctx.database.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'api_token.revoke')
      .where('subject_id', '=', id)
      .execute();
    expect(audits).toHaveLength(1);
  });

  it('revokes an account’s tokens for good when it is disabled, and when an administrator resets its password', async () => {
    const disabledOne = await newTechnician('token-owner-disabled');
    const resetOne = await newTechnician('token-owner-reset');
    const tokenOf = async (username: string) => {
      const session = await signIn(world.app, username, PASSWORD);
      const response = await world.app.inject({
        method: 'POST',
        url: '/api/me/tokens',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
        payload: { name: 'script' },
      });
      return response.json().token as string;
    };
    const me = (token: string) => world.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    const disabledToken = await tokenOf('token-owner-disabled');
    const resetToken = await tokenOf('token-owner-reset');
    expect((await me(disabledToken)).statusCode).toBe(200);

    expect((await call(world, 'administrator', 'PATCH', `/api/technicians/${disabledOne.id}`, { disabled: true })).statusCode).toBe(200);
    expect((await call(world, 'administrator', 'PATCH', `/api/technicians/${disabledOne.id}`, { disabled: false })).statusCode).toBe(200);
    expect((await me(disabledToken)).statusCode).toBe(401);

    expect(
      (await call(world, 'administrator', 'PATCH', `/api/technicians/${resetOne.id}`, { password: 'a brand new pass phrase' })).statusCode,
    ).toBe(200);
    expect((await me(resetToken)).statusCode).toBe(401);
    const tokens = await world.ctx.database.db
      .selectFrom('api_tokens')
      .select('revoked_at')
      .where('technician_id', 'in', [disabledOne.id, resetOne.id])
      .execute();
    expect(tokens.every((t) => t.revoked_at !== null)).toBe(true);
  });

  it('refuses common, blank and one-letter passwords with a message that says why', async () => {
    for (const password of [
      'Password2024!',
      'passwordpassword',
      'qwertyuiop123',
      ' '.repeat(14),
      'a'.repeat(14),
      'abababababab',
      'iloveyou iloveyou',
    ]) {
      const response = await call(world, 'administrator', 'POST', '/api/technicians', {
        username: `weak-${password.length}-${password.charCodeAt(0)}`,
        password,
        role: 'read_only',
      });
      expect(response.statusCode, password).toBe(400);
      expect(response.json().error.message).toMatch(/common|spaces|different characters/);
    }
    const fine = await call(world, 'administrator', 'POST', '/api/technicians', {
      username: 'strong-one',
      password: 'violet kettle under moss',
      role: 'read_only',
    });
    expect(fine.statusCode).toBe(201);
  });

  it('checks emails: a real address, and no two accounts with the same one', async () => {
    const bad = await call(world, 'administrator', 'POST', '/api/technicians', {
      username: 'bad-email',
      password: PASSWORD,
      role: 'read_only',
      email: 'Sales Team',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/not an email address/);
    const first = await call(world, 'administrator', 'POST', '/api/technicians', {
      username: 'mail-one',
      password: PASSWORD,
      role: 'read_only',
      email: 'helpdesk@fabrikam.example',
    });
    expect(first.statusCode).toBe(201);
    const duplicate = await call(world, 'administrator', 'POST', '/api/technicians', {
      username: 'mail-two',
      password: PASSWORD,
      role: 'read_only',
      email: 'HelpDesk@Fabrikam.example',
    });
    expect(duplicate.statusCode).toBe(409);
    const other = await call(world, 'administrator', 'POST', '/api/technicians', {
      username: 'mail-three',
      password: PASSWORD,
      role: 'read_only',
    });
    const patched = await call(world, 'administrator', 'PATCH', `/api/technicians/${other.json().id}`, {
      email: ' helpdesk@FABRIKAM.example ',
    });
    expect(patched.statusCode).toBe(409);
    const badPatch = await call(world, 'administrator', 'PATCH', `/api/technicians/${other.json().id}`, { email: 'not@an@address' });
    expect(badPatch.statusCode).toBe(400);
  });
});

describe.each(DATABASE_KINDS)('the setup link on %s', (kind) => {
  it('survives a rejected attempt (too short, common password, bad email) and then creates the administrator', async () => {
    const clock = new TestClock();
    const ctx = await createTestContext(kind, { overrides: { clock } });
    const app = await buildApp(ctx);
    try {
      const token = new URL((await firstRunSetupLink(ctx, 'http://127.0.0.1:8080'))!).searchParams.get('token')!;
      for (const attempt of [{ password: 'short' }, { password: 'Password2024!' }, { password: PASSWORD, email: 'Sales Team' }]) {
        const rejected = await app.inject({ method: 'POST', url: '/api/setup', payload: { token, username: 'first-admin', ...attempt } });
        expect(rejected.statusCode).toBe(400);
      }
      const page = await app.inject({ method: 'POST', url: '/setup', payload: { token, username: 'first-admin', password: 'short' } });
      expect(page.statusCode).toBe(400);
      expect((await app.inject({ method: 'GET', url: `/setup?token=${encodeURIComponent(token)}` })).statusCode).toBe(200);
      const created = await app.inject({
        method: 'POST',
        url: '/api/setup',
        payload: { token, username: 'first-admin', password: PASSWORD },
      });
      expect(created.statusCode).toBe(201);
      expect(
        (await app.inject({ method: 'POST', url: '/api/setup', payload: { token, username: 'second-admin', password: PASSWORD } }))
          .statusCode,
      ).toBe(404);
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});
