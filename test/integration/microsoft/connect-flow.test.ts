// The whole "Connect" flow over HTTP redirects: docsync's routes → the emulator's authorize
// page → docsync's callback → MSAL code redemption → sealed refresh token → discovery.
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import { startHarness, type MicrosoftHarness } from './support.ts';
import { microsoftConnectRoutes } from '../../../src/web/connect.ts';
import { installErrorHandler } from '../../../src/web/errors.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import { createApiToken } from '../../../src/auth/api-tokens.ts';
import type { DiscoveryReport } from '../../../src/microsoft/discovery.ts';

let h: MicrosoftHarness;
let app: FastifyInstance;
let base: string;
let adminAuth: string;
const discoveries = new Map<string, Promise<DiscoveryReport>>();

beforeAll(async () => {
  h = await startHarness();
  app = Fastify();
  installErrorHandler(app);
  await app.register(cookie);
  await app.register(microsoftConnectRoutes, { ctx: h.ctx, microsoft: h.microsoft, onDiscovery: (id, p) => void discoveries.set(id, p) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const admin = await createTechnician(
    { db: h.ctx.database.db, clock: h.clock },
    { username: 'admin', password: 'correct horse battery staple', role: 'administrator' },
    { id: null, label: 'test' },
  );
  adminAuth = `Bearer ${(await createApiToken(h.ctx.database.db, h.clock, admin.id, 'connect tests')).token}`;
});
afterAll(async () => {
  await app.close();
  await h.close();
});
beforeEach(() => {
  h.emulator.control.faults.clear();
  h.emulator.control.setAutoConsent(true);
});

async function newIntegration(): Promise<string> {
  const c = h.emulator.credentials;
  return (
    await h.microsoft.integrations.create({
      kind: 'gdap',
      name: 'Fabrikam Partners',
      tenantId: c.partnerTenantId,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
    })
  ).id;
}

/** A browser: keeps cookies per origin, follows nothing by itself. */
function browser() {
  const jar = new Map<string, string>();
  return {
    jar,
    async get(url: string, extra: Record<string, string> = {}) {
      const origin = new URL(url).origin;
      const cookieHeader = origin === base ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
      const response = await fetch(url, {
        redirect: 'manual',
        headers: { ...(cookieHeader ? { cookie: cookieHeader } : {}), ...(origin === base ? { authorization: adminAuth } : {}), ...extra },
      });
      if (origin === base) {
        for (const line of response.headers.getSetCookie()) {
          const [pair] = line.split(';');
          const [name, ...value] = pair!.split('=');
          if (/expires=Thu, 01 Jan 1970/i.test(line) || value.join('=') === '') jar.delete(name!);
          else jar.set(name!, value.join('='));
        }
      }
      return { status: response.status, location: response.headers.get('location'), text: await response.text() };
    },
  };
}

describe('connect flow', () => {
  it("builds the redirect URI from docsync's own address, never from the Host header", async () => {
    const id = await newIntegration();
    const location = await new Promise<string>((resolve, reject) => {
      const forged = httpRequest(
        `${base}/integrations/${id}/connect`,
        { headers: { host: 'evil.example', authorization: adminAuth } },
        (response) => {
          response.resume();
          resolve(response.headers.location ?? '');
        },
      );
      forged.on('error', reject);
      forged.end();
    });
    expect(new URL(location).searchParams.get('redirect_uri')).toBe(`${base}/auth/microsoft/callback`);
  });

  it('signs in at the partner tenant with PKCE S256 and state, stores the refresh token sealed, and discovers', async () => {
    const id = await newIntegration();
    const b = browser();
    const start = await b.get(`${base}/integrations/${id}/connect`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.location!);
    expect(authorize.origin + authorize.pathname).toBe(
      `${h.emulator.urls.authorityHost}/${h.emulator.credentials.partnerTenantId}/oauth2/v2.0/authorize`,
    );
    expect(authorize.searchParams.get('client_id')).toBe(h.emulator.credentials.clientId);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toMatch(new RegExp(`^${id}\\.`));
    expect(authorize.searchParams.get('scope')).toContain('offline_access');
    expect(authorize.searchParams.get('scope')).toContain(`${h.emulator.urls.graphBaseUrl}/User.Read.All`);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${base}/auth/microsoft/callback`);

    const atMicrosoft = await b.get(start.location!);
    expect(atMicrosoft.status).toBe(302);
    expect(atMicrosoft.location!.startsWith(`${base}/auth/microsoft/callback?`)).toBe(true);

    const callback = await b.get(atMicrosoft.location!);
    expect(callback.status).toBe(200);
    expect(callback.text).toContain('Connected');
    const integration = await h.microsoft.integrations.get(id);
    expect(integration.status).toBe('connected');
    expect(integration.hasRefreshToken).toBe(true);
    const report = await discoveries.get(id)!;
    expect(report.counts.discovered).toBeGreaterThan(0);
    // The cookies of the flow are single-use.
    expect(b.jar.size).toBe(0);
  });

  it('a state that does not match the cookie gets a clear 400 page and changes nothing', async () => {
    const id = await newIntegration();
    const b = browser();
    const start = await b.get(`${base}/integrations/${id}/connect`);
    const atMicrosoft = await b.get(start.location!);
    const tampered = new URL(atMicrosoft.location!);
    tampered.searchParams.set('state', `${id}.forged-state-value-000000000000000`);
    const callback = await b.get(tampered.toString());
    expect(callback.status).toBe(400);
    expect(callback.text).toContain('state mismatch');
    expect((await h.microsoft.integrations.get(id)).status).toBe('not_connected');
  });

  it('a PKCE verifier that does not match is refused by Microsoft: 400 page, nothing stored', async () => {
    const id = await newIntegration();
    const b = browser();
    const start = await b.get(`${base}/integrations/${id}/connect`);
    const atMicrosoft = await b.get(start.location!);
    b.jar.set('docsync_ms_verifier', 'an-attacker-chosen-verifier-that-is-long-enough-000');
    const callback = await b.get(atMicrosoft.location!);
    expect(callback.status).toBe(400);
    expect(callback.text).toContain('PKCE');
    const integration = await h.microsoft.integrations.get(id);
    expect(integration.hasRefreshToken).toBe(false);
    expect(integration.statusReason).toMatch(/PKCE/);
  });

  it('denied consent: the integration shows why', async () => {
    const id = await newIntegration();
    h.emulator.control.setAutoConsent(false);
    const b = browser();
    const start = await b.get(`${base}/integrations/${id}/connect`);
    // The technician presses "Cancel" on Microsoft's consent page.
    const authorize = new URL(start.location!);
    const form = new URLSearchParams([...authorize.searchParams, ['decision', 'cancel']]);
    const cancelled = await fetch(`${authorize.origin}${authorize.pathname}`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(cancelled.status).toBe(302);
    const callback = await b.get(cancelled.headers.get('location')!);
    expect(callback.status).toBe(400);
    expect(callback.text).toContain('consent was denied');
    const integration = await h.microsoft.integrations.get(id);
    expect(integration.status).toBe('not_connected');
    expect(integration.statusReason).toMatch(/consent was denied/);
  });

  it('is for administrators only', async () => {
    const id = await newIntegration();
    const response = await fetch(`${base}/integrations/${id}/connect`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/sign-in/);
  });
});
