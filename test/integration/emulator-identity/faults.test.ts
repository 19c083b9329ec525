import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, CLIENT_SECRET, CUSTOMER_OK, PARTNER } from '../../unit/emulator-identity/stub-world.ts';
import { get, postForm, startTestEmulator, type TestEmulator } from './helpers.ts';

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu.close();
});
afterEach(() => emu.control.faults.clear());

const appToken = (tenant: string) =>
  postForm(`${emu.urls.authorityHost}/${tenant}/oauth2/v2.0/token`, {
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    grant_type: 'client_credentials',
    scope: 'https://graph.microsoft.com/.default',
  });

async function graphGet(path: string, tenant: string) {
  const token = String((await appToken(tenant)).body.access_token);
  return get(`${emu.urls.graphBaseUrl}${path}`, { authorization: `Bearer ${token}`, 'client-request-id': 'my-client-request' });
}

describe('faults', () => {
  it('scripted: the next 2 token calls of one tenant get 429 with a fractional Retry-After, then calls succeed', async () => {
    emu.control.faults.add({
      server: 'identity',
      tenant: 'contoso.com',
      endpoint: '*/oauth2/v2.0/token',
      count: 2,
      action: { kind: 'status', status: 429, retryAfter: 1.5 },
    });
    expect((await appToken(PARTNER)).status).toBe(200); // another tenant is untouched
    const first = await appToken(CUSTOMER_OK);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1.5');
    expect(first.body.error_codes).toEqual([90055]);
    expect((await appToken(CUSTOMER_OK)).status).toBe(429);
    expect((await appToken(CUSTOMER_OK)).status).toBe(200);
    expect(emu.control.faults.list()).toEqual([]);
  });

  it('AADSTS faults: MFA required (50076) for one customer tenant, as interaction_required', async () => {
    emu.control.faults.add({ server: 'identity', tenant: CUSTOMER_OK, endpoint: '*/token', action: { kind: 'aadsts', code: 50076 } });
    const result = await postForm(`${emu.urls.authorityHost}/${CUSTOMER_OK}/oauth2/v2.0/token`, {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_type: 'refresh_token',
      refresh_token: emu.credentials.refreshToken,
      scope: 'https://graph.microsoft.com/.default offline_access',
    });
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ error: 'interaction_required', error_codes: [50076] });
  });

  it('Graph side: a tenant that fails every call (tenant from the bearer token) gets Graph-shaped 503s', async () => {
    emu.control.faults.add({ server: 'graph', tenant: CUSTOMER_OK, action: { kind: 'status', status: 503 } });
    const failing = await graphGet('/v1.0/users', CUSTOMER_OK);
    expect(failing.status).toBe(503);
    expect(failing.body).toMatchObject({
      error: { code: 'serviceNotAvailable', innerError: { 'client-request-id': 'my-client-request' } },
    });
    expect(failing.headers.get('request-id')).toBe((failing.body.error as { innerError: Record<string, string> }).innerError['request-id']);
  });

  it('by rate: the same seed replays the same sequence of faults', async () => {
    const run = async () => {
      const other = await startTestEmulator({ seed: 5 });
      try {
        other.control.faults.add({ server: 'identity', rate: 0.5, action: { kind: 'status', status: 503 } });
        const statuses: number[] = [];
        for (let i = 0; i < 12; i++) statuses.push((await get(`${other.urls.authorityHost}/${PARTNER}/discovery/v2.0/keys`)).status);
        return statuses;
      } finally {
        await other.close();
      }
    };
    const first = await run();
    expect(first).toEqual(await run());
    expect(first).toContain(503);
    expect(first).toContain(200);
  });

  it('drops the connection', async () => {
    emu.control.faults.add({ server: 'identity', endpoint: '/*/discovery/v2.0/keys', count: 1, action: { kind: 'drop' } });
    const url = new URL(`${emu.urls.authorityHost}/${PARTNER}/discovery/v2.0/keys`);
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest(url, (res) => resolve(`status ${res.statusCode}`));
      req.on('error', (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
      req.end();
    });
    expect(outcome).toBe('ECONNRESET');
    expect((await get(url.toString())).status).toBe(200);
  });

  it('delays a response without failing it', async () => {
    emu.control.faults.add({ server: 'identity', endpoint: '/*/discovery/v2.0/keys', count: 1, action: { kind: 'delay', ms: 40 } });
    const started = performance.now();
    const result = await get(`${emu.urls.authorityHost}/${PARTNER}/discovery/v2.0/keys`);
    expect(result.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('admin API on either server: add, list, delete; bad rules get a 400 that says why', async () => {
    const post = (base: string, body: unknown) =>
      fetch(`${base}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const added = await post(emu.urls.graphBaseUrl, {
      rules: [{ server: 'graph', endpoint: '/v1.0/users*', action: { kind: 'status', status: 429, retryAfter: 0.25 } }],
    });
    expect(added.status).toBe(201);
    const [rule] = ((await added.json()) as { rules: { id: string }[] }).rules;
    const throttled = await graphGet('/v1.0/users?$top=5', CUSTOMER_OK);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('0.25');
    expect(throttled.body).toMatchObject({ error: { code: 'TooManyRequests', innerError: { status: '429' } } });
    const listed = (await get(`${emu.urls.authorityHost}/_emulator/faults`)).body.rules as { id: string; fired: number }[];
    expect(listed).toEqual([expect.objectContaining({ id: rule!.id, fired: 1 })]);
    expect((await fetch(`${emu.urls.authorityHost}/_emulator/faults/${rule!.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(emu.control.faults.list()).toEqual([]);
    const bad = await post(emu.urls.authorityHost, { action: { kind: 'status', status: 418 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/action.status must be one of/);
  });
});
