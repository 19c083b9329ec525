// The Graph client against a small scripted HTTP server on 127.0.0.1 (Graph's documented
// shapes), with an injected clock and sleep: no test waits for real.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createGraphClientFactory, Pacer, realSleep, retryAfterMs, type GraphCounters } from '../../../src/microsoft/graph-client.ts';
import { usersResource, usersDeltaResource } from '../../../src/microsoft/resources.ts';
import { MicrosoftError, ResyncRequired } from '../../../src/microsoft/errors.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void;
let server: http.Server;
let base = '';
let handler: Handler = (_req, res) => res.end('{}');
const seen: Array<{ path: string; auth: string | undefined }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, base);
    seen.push({ path: url.pathname + url.search, auth: req.headers.authorization });
    handler(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
const graphError = (code: string) => ({
  error: { code, message: code, innerError: { date: '2024-01-01T00:00:00', 'request-id': 'req-1', 'client-request-id': 'req-1' } },
});
const user = (id: string) => ({ id, userPrincipalName: `${id}@contoso.com`, displayName: id, proxyAddresses: [`SMTP:${id}@contoso.com`] });

function setup() {
  let now = 1_700_000_000_000;
  const waits: number[] = [];
  const clock = { now: () => new Date(now) };
  const sleep = async (ms: number) => {
    waits.push(ms);
    now += ms;
  };
  let tokenCalls = 0;
  const factory = createGraphClientFactory({
    graphBaseUrl: base,
    tokens: { accessToken: async () => `token-${tokenCalls}`, invalidate: () => void ++tokenCalls },
    clock,
    sleep,
    log: pino({ level: 'silent' }),
  });
  const counters: GraphCounters = { graphRequests: 0, throttled: 0 };
  return { graph: factory.forTenant('integration-1', 'tenant-1', counters), counters, waits };
}

describe('Graph client', () => {
  it('follows @odata.nextLink to the end, parses records and skips bad ones with a reason', async () => {
    seen.length = 0;
    handler = (_req, res, url) => {
      if (url.searchParams.get('$skiptoken') === 'p2') return json(res, 200, { value: [user('c'), { id: 'bad-no-upn' }] });
      json(res, 200, { value: [user('a'), user('b')], '@odata.nextLink': `${base}/v1.0/users?$select=id&$top=999&$skiptoken=p2` });
    };
    const { graph, counters } = setup();
    const pages: string[][] = [];
    for await (const page of graph.listAll(usersResource)) pages.push(page.map((u) => u.id));
    expect(pages).toEqual([['a', 'b'], ['c']]);
    expect(graph.skipped).toEqual(['user bad-no-upn: userPrincipalName is missing']);
    expect(counters.graphRequests).toBe(2);
    expect(seen[0]!.path).toContain('$top=999');
    expect(seen[0]!.path).toContain('proxyAddresses');
    expect(seen[1]!.path).toContain('$skiptoken=p2');
    expect(seen.every((s) => s.auth?.startsWith('Bearer token-'))).toBe(true);
  });

  it('waits the fractional Retry-After of a 429 and then succeeds, counting the throttled answer', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls <= 2) return json(res, 429, graphError('TooManyRequests'), { 'retry-after': '2.128' });
      json(res, 200, { value: [user('a')] });
    };
    const { graph, counters, waits } = setup();
    const ids: string[] = [];
    for await (const page of graph.listAll(usersResource)) ids.push(...page.map((u) => u.id));
    expect(ids).toEqual(['a']);
    expect(waits.filter((w) => w === 2128)).toHaveLength(2);
    expect(counters).toEqual({ graphRequests: 3, throttled: 2 });
  });

  it('gives up after the retry budget with a typed throttled_out error for that tenant', async () => {
    handler = (_req, res) => json(res, 429, graphError('TooManyRequests'), { 'retry-after': '1' });
    const { graph, counters } = setup();
    const run = async () => {
      for await (const _ of graph.listAll(usersResource)) void _;
    };
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MicrosoftError);
    expect((error as MicrosoftError).code).toBe('throttled_out');
    expect((error as MicrosoftError).scope).toBe('tenant');
    expect(counters.throttled).toBe(7);
  });

  it('retries 503 and dropped connections with backoff', async () => {
    let calls = 0;
    handler = (req, res) => {
      calls++;
      if (calls === 1) return json(res, 503, graphError('serviceNotAvailable'));
      if (calls === 2) return req.socket.destroy();
      json(res, 200, { value: [user('a')] });
    };
    const { graph, waits } = setup();
    const ids: string[] = [];
    for await (const page of graph.listAll(usersResource)) ids.push(...page.map((u) => u.id));
    expect(ids).toEqual(['a']);
    expect(waits).toEqual([1000, 2000]);
  });

  it('turns a 403 into permission_missing and a lasting outage into graph_unavailable', async () => {
    handler = (_req, res) => json(res, 403, graphError('Authorization_RequestDenied'));
    const { graph } = setup();
    await expect(graph.get('/organization', (raw) => ({ ok: true, value: raw }))).rejects.toMatchObject({
      code: 'permission_missing',
      scope: 'tenant',
    });
    handler = (req) => req.socket.destroy();
    await expect(graph.get('/organization', (raw) => ({ ok: true, value: raw }))).rejects.toMatchObject({ code: 'graph_unavailable' });
  });

  it('delta: removed ids, the final deltaLink, and 410 as ResyncRequired', async () => {
    handler = (_req, res, url) => {
      if (url.searchParams.get('$deltatoken') === 'expired')
        return json(res, 410, graphError('resyncRequired'), { location: `${base}/v1.0/users/delta?$deltatoken=` });
      if (url.searchParams.get('$skiptoken') === 'd2')
        return json(res, 200, {
          value: [{ id: 'gone', '@removed': { reason: 'deleted' } }],
          '@odata.deltaLink': `${base}/v1.0/users/delta?$deltatoken=next`,
        });
      json(res, 200, { value: [user('a')], '@odata.nextLink': `${base}/v1.0/users/delta?$skiptoken=d2` });
    };
    const { graph } = setup();
    const pages = [];
    for await (const page of graph.delta(usersDeltaResource, null)) pages.push(page);
    expect(pages.map((p) => [p.items.map((u) => u.id), p.removedIds, p.deltaLink ?? null])).toEqual([
      [['a'], [], null],
      [[], ['gone'], `${base}/v1.0/users/delta?$deltatoken=next`],
    ]);
    const stale = async () => {
      for await (const _ of graph.delta(usersDeltaResource, `${base}/v1.0/users/delta?$deltatoken=expired`)) void _;
    };
    await expect(stale()).rejects.toBeInstanceOf(ResyncRequired);
  });

  it('report: follows the 302 to the CSV download without sending the token there', async () => {
    seen.length = 0;
    const downloads = http.createServer((req, res) => {
      seen.push({ path: `download${req.url}`, auth: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end('\uFEFFReport Refresh Date,User Principal Name\n2024-01-01,a@contoso.com\n');
    });
    await new Promise<void>((resolve) => downloads.listen(0, '127.0.0.1', resolve));
    const downloadBase = `http://127.0.0.1:${(downloads.address() as AddressInfo).port}`;
    handler = (_req, res) => {
      res.writeHead(302, { location: `${downloadBase}/data/download/abc`, 'content-type': 'text/plain' });
      res.end();
    };
    const { graph, counters } = setup();
    const csv = await graph.report('getMailboxUsageDetail', 'D7');
    await new Promise<void>((resolve) => downloads.close(() => resolve()));
    expect(csv.startsWith('Report Refresh Date')).toBe(true);
    expect(seen[0]!.path).toBe("/v1.0/reports/getMailboxUsageDetail(period='D7')");
    expect(seen[0]!.auth).toMatch(/^Bearer /);
    expect(seen[1]).toEqual({ path: 'download/data/download/abc', auth: undefined });
    expect(counters.graphRequests).toBe(2);
  });

  it('batch: retries only the inner requests that were throttled', async () => {
    let round = 0;
    handler = (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        round++;
        const ids = (JSON.parse(body) as { requests: Array<{ id: string }> }).requests.map((r) => r.id);
        json(res, 200, {
          responses: ids.map((id) =>
            round === 1 && id === '2'
              ? { id, status: 429, headers: { 'Retry-After': '0.5' }, body: graphError('TooManyRequests') }
              : { id, status: 200, body: { id } },
          ),
        });
      });
    };
    const { graph, waits } = setup();
    const answers = await graph.batch([
      { id: '1', url: '/users/a' },
      { id: '2', url: '/users/b' },
    ]);
    expect(answers.map((a) => [a.id, a.status])).toEqual([
      ['1', 200],
      ['2', 200],
    ]);
    expect(waits).toContain(500);
  });
});

describe('refused tokens', () => {
  it('a 401 drops the cached token and retries once with a fresh one', async () => {
    seen.length = 0;
    handler = (req, res) =>
      req.headers.authorization === 'Bearer token-0'
        ? json(res, 401, graphError('InvalidAuthenticationToken'))
        : json(res, 200, { value: [user('a')] });
    const { graph } = setup();
    const ids: string[] = [];
    for await (const page of graph.listAll(usersResource)) ids.push(...page.map((u) => u.id));
    expect(ids).toEqual(['a']);
    expect(seen.map((s) => s.auth)).toEqual(['Bearer token-0', 'Bearer token-1']);
  });

  it('a second 401 is a typed error, not a loop', async () => {
    handler = (_req, res) => json(res, 401, graphError('InvalidAuthenticationToken'));
    const { graph } = setup();
    await expect(graph.get('/organization', (raw) => ({ ok: true, value: raw }))).rejects.toMatchObject({
      code: 'permission_missing',
      details: { httpStatus: 401 },
    });
  });
});

describe('a tenant without Intune', () => {
  it('is told apart from a docsync bug: service_not_enabled with an action, not "report this to the maintainers"', async () => {
    handler = (_req, res) =>
      json(res, 400, {
        error: {
          code: 'BadRequest',
          message: 'Request not applicable to target tenant.',
          innerError: { date: '2024-01-01T00:00:00', 'request-id': 'r', 'client-request-id': 'r' },
        },
      });
    const { graph } = setup();
    await expect(graph.get('/deviceManagement/managedDevices', (raw) => ({ ok: true, value: raw }))).rejects.toMatchObject({
      code: 'service_not_enabled',
      scope: 'tenant',
      action: expect.stringContaining('does not use Intune'),
    });
  });
});

describe('a token the broker cannot get', () => {
  it("reaches the caller as the broker's own partner-scope error, without retrying as a dropped connection", async () => {
    seen.length = 0;
    handler = (_req, res) => json(res, 200, { value: [user('a')] });
    let tokenCalls = 0;
    const waits: number[] = [];
    const expired = new MicrosoftError(
      'partner_connection_expired',
      'partner',
      'the partner connection expired',
      'reconnect the integration',
    );
    const factory = createGraphClientFactory({
      graphBaseUrl: base,
      tokens: {
        accessToken: async () => {
          tokenCalls++;
          throw expired;
        },
      },
      clock: { now: () => new Date(1_700_000_000_000) },
      sleep: async (ms: number) => void waits.push(ms),
      log: pino({ level: 'silent' }),
    });
    const graph = factory.forTenant('integration-1', 'tenant-1', { graphRequests: 0, throttled: 0 });
    const pages = (async () => {
      for await (const _page of graph.listAll(usersResource)) void _page;
    })();
    await expect(pages).rejects.toBe(expired);
    expect(tokenCalls).toBe(1);
    expect(waits).toEqual([]);
    expect(seen).toEqual([]);
  });
});

describe('pacing', () => {
  it('never lets more than the limit through in one window', async () => {
    let now = 0;
    const sent: number[] = [];
    const pacer = new Pacer({ requests: 100, windowMs: 10_000 }, { now: () => new Date(now) }, async (ms) => void (now += ms));
    for (let i = 0; i < 500; i++) {
      await pacer.take();
      sent.push(now);
    }
    for (let i = 0; i < sent.length; i++) {
      const inWindow = sent.filter((t) => t >= sent[i]! && t < sent[i]! + 10_000).length;
      expect(inWindow).toBeLessThanOrEqual(100);
    }
    expect(now).toBeLessThan(60_000);
  });

  it('reads Retry-After as fractional seconds or an HTTP date', () => {
    const now = new Date('2024-01-01T00:00:00Z');
    expect(retryAfterMs('2.128', now)).toBe(2128);
    expect(retryAfterMs('Mon, 01 Jan 2024 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs(null, now)).toBeNull();
  });
});

describe('a tenant whose signal aborts', () => {
  class Stopped extends Error {}
  const never = <T>() => new Promise<T>(() => {});
  const listing = (graph: ReturnType<typeof setup>['graph']) =>
    (async () => {
      for await (const _ of graph.listAll(usersResource)) void _;
    })();

  function abortable(options: { sleep?: (ms: number) => Promise<void>; accessToken?: () => Promise<string> } = {}) {
    const controller = new AbortController();
    const stopped = new Stopped('stopped');
    const factory = createGraphClientFactory({
      graphBaseUrl: base,
      tokens: { accessToken: options.accessToken ?? (async () => 'token') },
      clock: { now: () => new Date(1_700_000_000_000) },
      sleep: options.sleep ?? (async () => {}),
      log: pino({ level: 'silent' }),
    });
    const counters: GraphCounters = { graphRequests: 0, throttled: 0 };
    const graph = factory.forTenant('integration-1', 'tenant-1', counters, { signal: controller.signal });
    return { graph, counters, abort: () => controller.abort(stopped), stopped };
  }

  it('ends a request Graph never answers with the signal\'s reason, not as "Graph unavailable"', async () => {
    const { graph, abort, stopped } = abortable();
    let held: http.ServerResponse | undefined;
    handler = (_req, res) => {
      held = res;
      abort();
    };
    await expect(listing(graph)).rejects.toBe(stopped);
    held?.destroy();
  });

  it('ends a Retry-After wait at once and does not retry', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      json(res, 429, graphError('TooManyRequests'), { 'retry-after': '60' });
    };
    const waits: number[] = [];
    const { graph, abort, stopped, counters } = abortable({
      sleep: (ms) => {
        waits.push(ms);
        abort();
        return never();
      },
    });
    await expect(graph.get('/organization', (raw) => ({ ok: true, value: raw }))).rejects.toBe(stopped);
    expect(waits).toEqual([60_000]);
    expect(calls).toBe(1);
    expect(counters.throttled).toBe(1);
  });

  it("ends a backoff after a dropped connection, and a $batch's inner Retry-After wait", async () => {
    handler = (req) => req.socket.destroy();
    const first = abortable({ sleep: () => (first.abort(), never()) });
    await expect(first.graph.get('/organization', (raw) => ({ ok: true, value: raw }))).rejects.toBe(first.stopped);

    handler = (_req, res) =>
      json(res, 200, { responses: [{ id: '1', status: 429, headers: { 'Retry-After': '600' }, body: graphError('TooManyRequests') }] });
    const second = abortable({ sleep: () => (second.abort(), never()) });
    await expect(second.graph.batch([{ id: '1', url: '/users/a' }])).rejects.toBe(second.stopped);
  });

  it('ends the wait for the pacer without taking its turn', async () => {
    let now = 0;
    const pacer = new Pacer({ requests: 10, windowMs: 10_000 }, { now: () => new Date(now) }, () => never());
    await pacer.take();
    const controller = new AbortController();
    const waiting = pacer.take(controller.signal);
    controller.abort(new Stopped('stopped'));
    await expect(waiting).rejects.toBeInstanceOf(Stopped);
    now += 1_200;
    expect(await pacer.take()).toBe(0);
  });

  it('stops waiting for a token without failing the shared token request', async () => {
    seen.length = 0;
    handler = (_req, res) => json(res, 200, { value: [user('a')] });
    let deliver: (token: string) => void = () => {};
    const shared = new Promise<string>((resolve) => (deliver = resolve));
    let asked = 0;
    const tenant = abortable({
      accessToken: () => {
        asked++;
        // The run is stopped while the broker's request is still out.
        queueMicrotask(() => tenant.abort());
        return shared;
      },
    });
    await expect(listing(tenant.graph)).rejects.toBe(tenant.stopped);
    expect(asked).toBe(1);
    expect(seen).toEqual([]);
    deliver('token-for-the-others');
    await expect(shared).resolves.toBe('token-for-the-others');
  });

  it('sends nothing once aborted', async () => {
    seen.length = 0;
    const { graph, abort, stopped } = abortable();
    abort();
    await expect(graph.report('getMailboxUsageDetail', 'D7')).rejects.toBe(stopped);
    expect(seen).toEqual([]);
  });
});

describe('realSleep', () => {
  it('ends early with the reason when its signal aborts', async () => {
    const controller = new AbortController();
    const waiting = realSleep(600_000, controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
  });
});

describe('Graph client: the first pages of several resources in one $batch', () => {
  it('parses each answer: records, delta removals and links, final refusals as errors, anything else left to its own path', async () => {
    seen.length = 0;
    const bodies: string[] = [];
    handler = (req, res, url) => {
      if (url.pathname !== '/v1.0/$batch') return json(res, 404, graphError('NotFound'));
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        bodies.push(text);
        json(res, 200, {
          responses: [
            {
              id: 'users',
              status: 200,
              body: { value: [user('a'), { id: 'no-upn' }], '@odata.nextLink': `${base}/v1.0/users?$skiptoken=2` },
            },
            {
              id: 'delta',
              status: 200,
              body: { value: [user('b'), { id: 'gone', '@removed': { reason: 'deleted' } }], '@odata.deltaLink': `${base}/v1.0/d?t=1` },
            },
            { id: 'refused', status: 403, body: graphError('Authorization_RequestDenied') },
            { id: 'busy', status: 503, body: graphError('ServiceUnavailable') },
            { id: 'elsewhere', status: 200, body: { value: [], '@odata.nextLink': 'https://elsewhere.example/v1.0/users' } },
          ],
        });
      });
    };
    const { graph, counters } = setup();
    const pages = await graph.firstPages({
      users: { resource: usersResource },
      delta: { resource: usersDeltaResource, link: `${base}/v1.0/users/delta?$deltatoken=latest` },
      refused: { resource: usersResource },
      busy: { resource: usersResource },
      elsewhere: { resource: usersResource },
      notOurs: { resource: usersDeltaResource, link: 'https://elsewhere.example/v1.0/users/delta' },
    });
    expect(counters.graphRequests).toBe(1);
    const sent = JSON.parse(bodies[0]!) as { requests: Array<{ id: string; url: string; headers?: Record<string, string> }> };
    expect(sent.requests.map((r) => r.id)).toEqual(['users', 'delta', 'refused', 'busy', 'elsewhere']);
    expect(sent.requests[0]!.url).toMatch(/^\/users\?\$select=.*&\$top=999$/);
    expect(sent.requests[1]).toMatchObject({ url: '/users/delta?$deltatoken=latest', headers: { Prefer: 'return=minimal' } });
    expect(pages.users).toMatchObject({ ok: true, nextLink: `${base}/v1.0/users?$skiptoken=2`, deltaLink: null });
    expect(pages.users?.ok && pages.users.items.map((u) => u.id)).toEqual(['a']);
    expect(graph.skipped.some((reason) => /userPrincipalName/.test(reason))).toBe(true);
    expect(pages.delta).toMatchObject({ ok: true, removedIds: ['gone'], deltaLink: `${base}/v1.0/d?t=1`, nextLink: null });
    expect(pages.refused?.ok === false && pages.refused.error).toBeInstanceOf(MicrosoftError);
    expect(pages.busy).toBeUndefined();
    expect(pages.elsewhere).toBeUndefined();
    expect(pages.notOurs).toBeUndefined();
  });
});
