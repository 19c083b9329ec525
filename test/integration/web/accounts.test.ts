import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.ts';
import { ensureDemoTechnician, firstRunSetupLink, LOCKOUT_MS, MAX_FAILED_SIGN_INS } from '../../../src/auth/accounts.ts';
import { ABSOLUTE_LIFETIME_MS, IDLE_TIMEOUT_MS } from '../../../src/auth/sessions.ts';
import { createTestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, PASSWORD, refreshSessions, sessionCookie, signIn, startWebWorld, TestClock, type WebWorld } from './support.ts';

describe.each(DATABASE_KINDS)('accounts and sessions on %s', (kind) => {
  let world: WebWorld;
  beforeAll(async () => {
    world = await startWebWorld(kind);
  });
  afterAll(async () => {
    await world?.close();
  });
  // Some tests move the clock past the sessions' lifetime: every test starts signed in afresh.
  beforeEach(async () => {
    await refreshSessions(world);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie and stores only its hash', async () => {
    const response = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: '192.0.2.4',
      payload: { username: 'technician-user', password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    const cookie = response.cookies.find((c) => c.name === 'docsync_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.secure).toBeFalsy();
    const stored = await world.ctx.database.db.selectFrom('sessions').select('id_hash').execute();
    expect(stored.map((s) => s.id_hash)).not.toContain(cookie.value);
    expect(stored.some((s) => s.id_hash.length === 64)).toBe(true);
    expect(response.body).not.toContain('password_hash');
  });

  it('refuses a wrong password with 401 and the same message as an unknown user', async () => {
    const wrong = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: '192.0.2.1',
      payload: { username: 'read_only-user', password: 'not the password' },
    });
    const unknown = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: '192.0.2.1',
      payload: { username: 'nobody', password: 'not the password' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.message).toBe(unknown.json().error.message);
    expect(wrong.json().error.requestId).toBeTruthy();
  });

  it('locks an account after repeated wrong passwords, even for the right password, until the lockout passes', async () => {
    const db = world.ctx.database.db;
    const { createTechnician } = await import('../../../src/auth/accounts.ts');
    await createTechnician(
      { db, clock: world.clock },
      { username: 'victim', password: PASSWORD, role: 'technician' },
      { id: null, label: 'test' },
    );
    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) {
      statuses.push(
        (
          await world.app.inject({
            method: 'POST',
            url: '/api/session',
            remoteAddress: '192.0.2.2',
            payload: { username: 'victim', password: `guess ${i}` },
          })
        ).statusCode,
      );
    }
    expect(statuses.every((s) => s === 401)).toBe(true);
    const right = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: '192.0.2.2',
      payload: { username: 'victim', password: PASSWORD },
    });
    expect(right.statusCode).toBe(401);
    expect(right.json().error.code).toBe('invalid_credentials');
    const locked = await db.selectFrom('technicians').select('locked_until').where('username', '=', 'victim').executeTakeFirstOrThrow();
    expect(locked.locked_until).not.toBeNull();
    world.clock.advance(LOCKOUT_MS + 1000);
    const later = await world.app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: '192.0.2.3',
      payload: { username: 'victim', password: PASSWORD },
    });
    expect(later.statusCode).toBe(200);
    const audit = await db.selectFrom('audit_log').select('action').where('action', '=', 'technician.locked_out').execute();
    expect(audit).toHaveLength(1);
  });

  it('ends a session after the idle timeout', async () => {
    const session = await signIn(world.app, 'read_only-user', PASSWORD);
    world.clock.advance(IDLE_TIMEOUT_MS - 60_000);
    expect((await world.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: session.cookie } })).statusCode).toBe(200);
    world.clock.advance(IDLE_TIMEOUT_MS - 60_000);
    expect((await world.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: session.cookie } })).statusCode).toBe(200);
    world.clock.advance(IDLE_TIMEOUT_MS + 1);
    const expired = await world.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: session.cookie } });
    expect(expired.statusCode).toBe(401);
  });

  it('ends an active session at its absolute lifetime', async () => {
    const session = await signIn(world.app, 'read_only-user', PASSWORD);
    const step = IDLE_TIMEOUT_MS / 2;
    let elapsed = 0;
    while (elapsed + step < ABSOLUTE_LIFETIME_MS) {
      world.clock.advance(step);
      elapsed += step;
      expect((await world.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: session.cookie } })).statusCode).toBe(200);
    }
    world.clock.advance(ABSOLUTE_LIFETIME_MS - elapsed + 1);
    expect((await world.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: session.cookie } })).statusCode).toBe(401);
  });

  it('signs out: the cookie no longer works', async () => {
    const session = await signIn(world.app, 'technician-user', PASSWORD);
    const out = await world.app.inject({
      method: 'DELETE',
      url: '/api/session',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
    });
    expect(out.statusCode).toBe(204);
    expect((await world.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: session.cookie } })).statusCode).toBe(401);
  });

  it('rejects cookie-authenticated writes without the CSRF token, or from another origin', async () => {
    const session = await signIn(world.app, 'technician-user', PASSWORD);
    const missing = await world.app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie: session.cookie } });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().error.code).toBe('csrf_rejected');
    const wrong = await world.app.inject({
      method: 'DELETE',
      url: '/api/session',
      headers: { cookie: session.cookie, 'x-csrf-token': 'x'.repeat(43) },
    });
    expect(wrong.statusCode).toBe(403);
    const foreign = await world.app.inject({
      method: 'DELETE',
      url: '/api/session',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, origin: 'https://evil.example' },
    });
    expect(foreign.statusCode).toBe(403);
    expect((await world.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: session.cookie } })).statusCode).toBe(200);
  });

  it('lets scripts use a personal API token without CSRF, until it is revoked', async () => {
    const created = await call(world, 'technician', 'POST', '/api/me/tokens', { name: 'nightly report' });
    expect(created.statusCode).toBe(201);
    const { token, apiToken } = created.json();
    expect(token).toMatch(/^dsk_/);
    const stored = await world.ctx.database.db
      .selectFrom('api_tokens')
      .select('token_hash')
      .where('id', '=', apiToken.id)
      .executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toContain(token);
    const listed = await call(world, 'technician', 'GET', '/api/me/tokens');
    expect(listed.body).not.toContain(token);
    const me = await world.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json()).toMatchObject({ username: 'technician-user', via: 'api_token' });
    const write = await world.app.inject({
      method: 'POST',
      url: '/api/tenants/bulk-accept',
      headers: { authorization: `Bearer ${token}` },
      payload: { minScore: 0.99 },
    });
    expect(write.statusCode).toBe(200);
    expect((await call(world, 'technician', 'DELETE', `/api/me/tokens/${apiToken.id}`)).statusCode).toBe(200);
    const after = await world.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    expect(after.statusCode).toBe(401);
  });

  it('lets only administrators manage accounts, and audits every change', async () => {
    expect((await call(world, null, 'GET', '/api/technicians')).statusCode).toBe(401);
    expect((await call(world, 'technician', 'GET', '/api/technicians')).statusCode).toBe(403);
    expect(
      (await call(world, 'read_only', 'POST', '/api/technicians', { username: 'x1', password: PASSWORD, role: 'technician' })).statusCode,
    ).toBe(403);
    const created = await call(world, 'administrator', 'POST', '/api/technicians', {
      username: 'new-tech',
      password: PASSWORD,
      role: 'read_only',
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain('argon2');
    const short = await call(world, 'administrator', 'POST', '/api/technicians', {
      username: 'weak',
      password: 'short',
      role: 'read_only',
    });
    expect(short.statusCode).toBe(400);
    const promoted = await call(world, 'administrator', 'PATCH', `/api/technicians/${created.json().id}`, { role: 'technician' });
    expect(promoted.json().role).toBe('technician');
    const audit = await call(world, 'administrator', 'GET', '/api/audit?subjectType=technician');
    const update = audit.json().items.find((i: { action: string }) => i.action === 'technician.update');
    expect(update).toMatchObject({ actor: 'administrator-user', before: { role: 'read_only' }, after: { role: 'technician' } });
    const demoteLast = await call(world, 'administrator', 'PATCH', `/api/technicians/${world.as.administrator.id}`, { role: 'read_only' });
    expect(demoteLast.statusCode).toBe(409);
  });

  it('rate-limits sign-in attempts from one address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      statuses.push(
        (
          await world.app.inject({
            method: 'POST',
            url: '/api/session',
            remoteAddress: '203.0.113.9',
            payload: { username: `nobody${i}`, password: 'x' },
          })
        ).statusCode,
      );
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429, 429]);
  });
});

describe('behind HTTPS', () => {
  it('marks the session cookie Secure and sends HSTS when the public URL is https', async () => {
    const ctx = await createTestContext('pglite', { config: { http: { publicBaseUrl: 'https://docsync.example' } } });
    const app = await buildApp(ctx);
    try {
      const { createTechnician } = await import('../../../src/auth/accounts.ts');
      await createTechnician(
        { db: ctx.database.db, clock: ctx.clock },
        { username: 'secure-user', password: PASSWORD, role: 'read_only' },
        { id: null, label: 'test' },
      );
      const response = await app.inject({ method: 'POST', url: '/api/session', payload: { username: 'secure-user', password: PASSWORD } });
      const cookie = response.cookies.find((c) => c.name === 'docsync_session')!;
      expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax' });
      expect(response.headers['strict-transport-security']).toMatch(/max-age=31536000/);
      expect(String(response.headers['content-security-policy'])).toContain('upgrade-insecure-requests');
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});

describe('first run and the demo login', () => {
  it('prints a one-time setup link only while no account exists, and the link creates an administrator once', async () => {
    const clock = new TestClock();
    const ctx = await createTestContext('pglite', { overrides: { clock } });
    const app = await buildApp(ctx);
    try {
      const link = await firstRunSetupLink(ctx, 'http://127.0.0.1:8080/');
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:8080\/setup\?token=/);
      const token = new URL(link!).searchParams.get('token')!;
      const created = await app.inject({
        method: 'POST',
        url: '/api/setup',
        payload: { token, username: 'first-admin', password: PASSWORD },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json().technician.role).toBe('administrator');
      const me = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie: sessionCookie(created) } });
      expect(me.json().username).toBe('first-admin');
      const again = await app.inject({
        method: 'POST',
        url: '/api/setup',
        payload: { token, username: 'second-admin', password: PASSWORD },
      });
      expect(again.statusCode).toBe(404);
      expect(await firstRunSetupLink(ctx, 'http://127.0.0.1:8080')).toBeNull();
    } finally {
      await app.close();
      await ctx.close();
    }
  });

  it('gives the demo a working administrator login, with a new password each time', async () => {
    const ctx = await createTestContext('pglite');
    const app = await buildApp(ctx);
    try {
      const first = await ensureDemoTechnician(ctx);
      const second = await ensureDemoTechnician(ctx);
      expect(second.username).toBe(first.username);
      expect(second.password).not.toBe(first.password);
      const response = await app.inject({ method: 'POST', url: '/api/session', payload: second });
      expect(response.json().technician.role).toBe('administrator');
      expect((await app.inject({ method: 'POST', url: '/api/session', payload: first })).statusCode).toBe(401);
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});
