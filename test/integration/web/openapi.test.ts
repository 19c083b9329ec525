import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, startWebWorld, type WebWorld } from './support.ts';

interface Operation {
  operationId?: string;
  tags?: string[];
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: unknown;
  responses: Record<string, { $ref?: string }>;
}
interface Document {
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: {
    responses: Record<string, { content: { 'application/json': { schema: { $ref: string } } } }>;
    schemas: Record<string, unknown>;
  };
}

const redocly = path.resolve('node_modules/.bin/redocly');

/** `redocly lint` with its recommended rules (no configuration file), as JSON problems. */
function redoclyLint(document: Document): {
  totals: { errors: number; warnings: number };
  problems: Array<{ ruleId: string; message: string }>;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'docsync-openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const result = spawnSync(redocly, ['lint', file, '--format=json'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    if (!result.stdout) throw new Error(`redocly printed nothing: ${result.stderr}`);
    return JSON.parse(result.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function operations(document: Document): Array<{ method: string; path: string; operation: Operation }> {
  return Object.entries(document.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, operation]) => ({ method, path: p, operation })),
  );
}

describe.each(DATABASE_KINDS)('the OpenAPI document on %s', (kind) => {
  let world: WebWorld;
  let document: Document;
  beforeAll(async () => {
    world = await startWebWorld(kind);
    const response = await call(world, 'read_only', 'GET', '/api/openapi.json');
    expect(response.statusCode).toBe(200);
    document = response.json();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('passes redocly lint with the recommended rules: no errors, no warnings', () => {
    const report = redoclyLint(document);
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('names every operation uniquely, tags it and says which server serves it', () => {
    const all = operations(document);
    expect(all.length).toBeGreaterThan(20);
    const ids = all.map((o) => o.operation.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.every((o) => (o.operation.tags ?? []).length > 0)).toBe(true);
    expect(all.find((o) => o.method === 'get' && o.path === '/api/tenants/{id}/users/{userId}')?.operation.operationId).toBe(
      'getTenantsUsersByUserId',
    );
    expect(document.servers?.[0]?.url).toMatch(/^https?:\/\//);
  });

  it('documents the error responses each operation can give, all in the one error shape', () => {
    expect(document.components.schemas.ErrorResponse).toMatchObject({
      properties: { error: { required: expect.arrayContaining(['code', 'message', 'requestId']) } },
    });
    for (const response of Object.values(document.components.responses)) {
      expect(response.content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorResponse');
    }
    for (const { method, path: p, operation } of operations(document)) {
      const statuses = Object.keys(operation.responses);
      const where = `${method} ${p}`;
      expect(
        statuses.some((s) => s.startsWith('4')),
        where,
      ).toBe(true);
      if (p.includes('{')) expect(statuses, where).toEqual(expect.arrayContaining(['400', '404']));
      if (operation.requestBody) expect(statuses, where).toEqual(expect.arrayContaining(['400', '413']));
    }
    const signIn = document.paths['/api/session']?.post;
    expect(Object.keys(signIn?.responses ?? {})).toEqual(expect.arrayContaining(['429']));
    expect(Object.keys(signIn?.responses ?? {})).not.toContain('401');
  });

  it('answers 401 in the documented shape wherever it documents 401', async () => {
    const protectedOperations = operations(document).filter((o) => o.operation.responses['401']);
    expect(protectedOperations.length).toBeGreaterThan(20);
    for (const { method, path: p } of protectedOperations) {
      const url = p.replace(/\{[^}]+\}/g, randomUUID());
      const response = await call(
        world,
        null,
        method.toUpperCase() as 'GET',
        url,
        method === 'get' || method === 'delete' ? undefined : {},
      );
      expect(response.statusCode, `${method} ${p}`).toBe(401);
      expect(response.json()).toMatchObject({
        error: { code: 'unauthenticated', message: expect.any(String), requestId: expect.any(String) },
      });
    }
  });

  it('answers 404 in the documented shape for an unknown id', async () => {
    const response = await call(world, 'administrator', 'GET', `/api/integrations/${randomUUID()}`);
    expect(document.paths['/api/integrations/{id}']?.get?.responses['404']).toEqual({ $ref: '#/components/responses/NotFound' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'not_found', requestId: expect.any(String) } });
  });
});
