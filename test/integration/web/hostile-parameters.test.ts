// The hostile-parameter sweep: for every route in the OpenAPI document, each parameter (path,
// query, top-level JSON body field) is sent with values that break naive code (NaN, ±Infinity,
// 1e309, 2^63, -1, "", NUL, a lone surrogate, 10 kB). Nothing may answer 5xx, and every 4xx
// carries the documented {error:{code,message,requestId}}. One app per database, requests
// injected, so the whole sweep stays within seconds.
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createApiToken } from '../../../src/auth/api-tokens.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { PASSWORD, seedContents, seedTenants, startWebWorld, type WebWorld } from './support.ts';

interface Hostile {
  label: string;
  /** As it travels in a URL (already percent-encoded). */
  url: string;
  /** As it travels in a JSON body (raw JSON text). */
  json: string;
}

const TEN_KB = 'A'.repeat(10_240);
export const HOSTILE_VALUES: Hostile[] = [
  { label: 'NaN', url: 'NaN', json: '"NaN"' },
  { label: 'Infinity', url: 'Infinity', json: '"Infinity"' },
  { label: '-Infinity', url: '-Infinity', json: '"-Infinity"' },
  { label: '1e309', url: '1e309', json: '1e309' },
  { label: '2^63', url: '9223372036854775808', json: '9223372036854775808' },
  { label: '-1', url: '-1', json: '-1' },
  { label: 'empty', url: '', json: '""' },
  { label: 'NUL', url: '%00', json: '"a\\u0000b"' },
  // A lone surrogate cannot be UTF-8: on the wire it is the 3 bytes a sloppy encoder writes.
  { label: 'lone surrogate', url: '%ED%A0%80', json: '"a\\ud800b"' },
  { label: '10 kB', url: TEN_KB, json: JSON.stringify(TEN_KB) },
];

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  minimum?: number;
  minProperties?: number;
  default?: unknown;
};

interface Operation {
  method: string;
  path: string;
  parameters: Array<{ name: string; in: 'path' | 'query' }>;
  body: JsonSchema | null;
}

/** A small valid value for a schema, so that only the parameter under attack is wrong. */
function validExample(schema: JsonSchema): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return validExample(alternatives.find((s) => s.type !== 'null') ?? alternatives[0]!);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s) => validExample(s) as object));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      if (schema.pattern?.includes('0-9a-fA-F]{8}')) return randomUUID();
      return 'x'.repeat(Math.max(2, schema.minLength ?? 0));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set(schema.required ?? []);
      for (const [key, child] of Object.entries(schema.properties ?? {})) {
        if (required.has(key) || (schema.minProperties && Object.keys(out).length < schema.minProperties)) out[key] = validExample(child);
      }
      return out;
    }
    default:
      return null;
  }
}

function operationsOf(doc: {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: Array<{ name: string; in: string }>; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }
    >
  >;
}): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = (op.parameters ?? []).filter(
        (p): p is { name: string; in: 'path' | 'query' } => p.in === 'path' || p.in === 'query',
      );
      const body = op.requestBody?.content?.['application/json']?.schema ?? null;
      operations.push({ method: method.toUpperCase(), path, parameters, body });
    }
  }
  return operations;
}

describe.each(DATABASE_KINDS)('hostile parameters on %s', (kind) => {
  let world: WebWorld;
  let operations: Operation[];
  const realIds: Record<string, string> = {};
  let bearer: string;

  beforeAll(async () => {
    world = await startWebWorld(kind);
    const seeded = await seedTenants(world.ctx);
    const contents = await seedContents(world.ctx, seeded, world.clock.now());
    const spare = await createTechnician(
      { db: world.ctx.database.db, clock: world.clock },
      { username: 'spare-user', password: PASSWORD, role: 'read_only' },
      { id: null, label: 'test' },
    );
    const token = await createApiToken(world.ctx.database.db, world.clock, world.as.administrator.id, 'sweep');
    bearer = token.token;
    Object.assign(realIds, {
      '/api/tenants/': seeded.tenants.contoso!.id,
      '/api/integrations/': seeded.integrationId,
      '/api/sync-runs/': contents.runId,
      '/api/technicians/': spare.id,
      '/api/me/tokens/': token.summary.id,
      userId: contents.users.adele,
    });
    const response = await world.app.inject({ method: 'GET', url: '/api/openapi.json', headers: { authorization: `Bearer ${bearer}` } });
    operations = operationsOf(response.json());
  });
  afterAll(async () => {
    await world?.close();
  });

  function pathFor(op: Operation, override?: { name: string; value: string }): string {
    return op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      if (override?.name === name) return override.value;
      if (name === 'userId') return encodeURIComponent(realIds.userId!);
      const prefix = Object.keys(realIds).find((p) => op.path.startsWith(p));
      return prefix ? realIds[prefix]! : randomUUID();
    });
  }

  let address = 0;
  async function send(op: Operation, url: string, body: string | undefined): Promise<LightMyRequestResponse> {
    address++;
    return world.app.inject({
      method: op.method as 'GET',
      url,
      // A bearer token: no CSRF token needed, and the sweep cannot sign itself out.
      headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      remoteAddress: `203.0.113.${(address % 250) + 1}`,
      ...(body !== undefined ? { payload: body } : {}),
    });
  }

  it('covers every documented route that takes parameters', () => {
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.filter((op) => op.parameters.length > 0 || op.body).length).toBeGreaterThan(15);
  });

  it('answers every hostile path, query and body value with a 4xx in the documented shape, never a 5xx', async () => {
    const failures: string[] = [];
    let sent = 0;
    const check = (what: string, response: LightMyRequestResponse) => {
      sent++;
      if (response.statusCode >= 500) {
        failures.push(`${what} → ${response.statusCode} ${response.body.slice(0, 200)}`);
        return;
      }
      if (response.statusCode >= 400) {
        const body = safeJson(response.body) as { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | null;
        const error = body?.error;
        if (typeof error?.code !== 'string' || typeof error.message !== 'string' || typeof error.requestId !== 'string') {
          failures.push(`${what} → ${response.statusCode} not in the documented error shape: ${response.body.slice(0, 200)}`);
        }
      }
    };
    for (const op of operations) {
      const baseBody = op.body ? (validExample(op.body) as Record<string, unknown>) : undefined;
      const baseQuery = new URLSearchParams();
      for (const hostile of HOSTILE_VALUES) {
        for (const parameter of op.parameters) {
          const what = `${op.method} ${op.path} ${parameter.in} ${parameter.name}=${hostile.label}`;
          const url =
            parameter.in === 'path'
              ? pathFor(op, { name: parameter.name, value: hostile.url })
              : `${pathFor(op)}?${baseQuery.toString() ? `${baseQuery.toString()}&` : ''}${parameter.name}=${hostile.url}`;
          check(what, await send(op, url, baseBody === undefined ? undefined : JSON.stringify(baseBody)));
        }
        if (op.body && baseBody) {
          for (const field of Object.keys(op.body.properties ?? {})) {
            const rest = { ...baseBody };
            delete rest[field];
            const others = JSON.stringify(rest).slice(1, -1);
            const raw = `{${others ? `${others},` : ''}${JSON.stringify(field)}:${hostile.json}}`;
            check(`${op.method} ${op.path} body ${field}=${hostile.label}`, await send(op, pathFor(op), raw));
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(300);
  });

  it('answers hostile query and path values on the HTML pages without a 5xx', async () => {
    const tenant = realIds['/api/tenants/']!;
    const pages: Array<{ path: string; query: string[]; pathParams?: string[] }> = [
      { path: '/sign-in', query: ['next'] },
      { path: '/setup', query: ['token'] },
      { path: '/audit', query: ['page'] },
      { path: '/organizations', query: ['page', 'pageSize', 'state', 'integrationId', 'search'] },
      { path: `/integrations/${realIds['/api/integrations/']}`, query: ['page', 'pageSize'] },
      { path: '/sync-runs', query: ['page', 'pageSize'] },
      {
        path: `/tenants/${tenant}/contacts`,
        query: ['page', 'pageSize', 'decision', 'search', 'account', 'license', 'activity', 'sort', 'order', 'cursor'],
      },
      {
        path: `/tenants/${tenant}/configurations`,
        query: ['page', 'pageSize', 'search', 'compliance', 'os', 'checkIn', 'staleDays', 'sort', 'order', 'cursor'],
      },
      { path: `/tenants/${tenant}/users/{userId}`, query: [], pathParams: ['userId'] },
    ];
    const failures: string[] = [];
    const admin = world.as.administrator.cookie;
    for (const page of pages) {
      for (const hostile of [...HOSTILE_VALUES, { label: 'fullwidth stop', url: '/%E3%80%82', json: '' }]) {
        const urls = [
          ...page.query.map((q) => `${page.path}?${q}=${hostile.url}`),
          ...(page.pathParams ?? []).map((p) => page.path.replace(`{${p}}`, hostile.url || 'x')),
        ];
        for (const url of urls) {
          for (const cookie of [admin, undefined]) {
            const response = await world.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
            if (response.statusCode >= 500)
              failures.push(`GET ${url.slice(0, 120)} ${cookie ? 'signed in' : 'anonymous'} → ${response.statusCode}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('sends a sign-in with a non-ASCII "next" to the default page instead of failing', async () => {
    const page = await world.app.inject({ method: 'GET', url: '/sign-in?next=/%E3%80%82' });
    expect(page.statusCode).toBe(200);
    const signedIn = await world.app.inject({
      method: 'GET',
      url: '/sign-in?next=/%E3%80%82',
      headers: { cookie: world.as.administrator.cookie },
    });
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers.location).toBe('/');
  });

  it('answers a body longer than its Content-Length with a 400 in the documented shape', async () => {
    // Only a real socket shows it: the extra bytes reach Node's HTTP parser as a broken request.
    const address = await world.app.listen({ host: '127.0.0.1', port: 0 });
    const { hostname, port } = new URL(address);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => {
        socket.write(
          `POST /api/tenants/bulk-accept HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${bearer}\r\nContent-Type: ` +
            `application/json\r\nContent-Length: 2\r\n\r\n{"minScore":1}`,
        );
      });
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('utf8')));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    const responses = raw.split(/(?=HTTP\/1\.1 )/);
    for (const response of responses) {
      const [head, body] = response.split('\r\n\r\n');
      const status = Number(head!.split(' ')[1]);
      expect(status).toBeLessThan(500);
      expect(JSON.parse(body!).error).toMatchObject({
        code: expect.any(String),
        message: expect.any(String),
        requestId: expect.any(String),
      });
    }
    expect(responses.map((r) => r.split(' ')[1])).toContain('400');
  });
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
