// `docsync sync [--integration ID] [--tenant ID]` as an operator runs it: a real process against
// a Postgres database and the emulator (real MSAL and Graph over HTTP). It syncs to the end,
// prints one summary line per run, draws its progress bar only on a terminal, and turns a
// wrong id into a clear message and exit code 2.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { childSettings, connectEmulatedPartner, docsyncEnv, runDocsync } from './cli-harness.ts';

describe('docsync sync (process)', () => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let integrationId: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 41, customers: 3, usersPerTenant: 8, autoConsent: true });
    ctx = await createTestContext('postgres', {
      config: { microsoft: { authorityHost: emulator.urls.authorityHost, graphBaseUrl: emulator.urls.graphBaseUrl } },
    });
    integrationId = await connectEmulatedPartner(ctx, emulator);
    env = docsyncEnv({ ...childSettings(ctx, emulator, ctx.database.url!), DOCSYNC_LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  const db = () => ctx.database.db;
  const contacts = () => db().selectFrom('contacts').select(['id', 'tenant_id', 'microsoft_user_id']).orderBy('id').execute();
  const SUMMARY = new RegExp(
    /^sync (succeeded|partial) \((\d+ tenants|tenant)\): (\d+) created, (\d+) updated, (\d+) unchanged, (\d+) flagged, /.source +
      /(\d+) failed; (\d+) Graph requests, (\d+) throttled/.source,
  );

  it('syncs every connected integration to the end and prints one summary line, with no progress bar in a pipe', async () => {
    const { code, stdout, stderr } = await runDocsync(['sync'], env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const summary = lines[0]!.match(SUMMARY);
    expect(summary, lines[0]).not.toBeNull();
    expect(summary![2]).toBe('3 tenants');
    expect(Number(summary![3])).toBeGreaterThan(0);
    expect(stdout).not.toMatch(/\r|\[#/);

    const run = await db()
      .selectFrom('sync_runs')
      .selectAll()
      .where('trigger', '=', 'cli')
      .where('tenant_id', 'is', null)
      .executeTakeFirstOrThrow();
    expect(run.integration_id).toBe(integrationId);
    expect(['succeeded', 'partial']).toContain(run.status);
    expect(run.created).toBe(Number(summary![3]));
    const rows = await contacts();
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.microsoft_user_id)).size).toBe(rows.length);
  });

  it('syncs one tenant with --tenant, and a second time creates and updates nothing', async () => {
    const before = await contacts();
    const tenant = await db()
      .selectFrom('tenants')
      .select(['id', 'microsoft_tenant_id'])
      .where('display_name', '=', 'Contoso, Ltd.')
      .executeTakeFirstOrThrow();
    const { code, stdout } = await runDocsync(['sync', '--tenant', tenant.microsoft_tenant_id], env);
    expect(code).toBe(0);
    const summary = stdout.trim().match(SUMMARY);
    expect(summary, stdout).not.toBeNull();
    expect(summary!.slice(2, 5)).toEqual(['tenant', '0', '0']);
    const run = await db()
      .selectFrom('sync_runs')
      .selectAll()
      .where('trigger', '=', 'cli')
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(run.status).toBe('succeeded');
    expect(await contacts()).toEqual(before);
  });

  it('exits 2 with a message naming the id when the integration or tenant does not exist', async () => {
    const missing = randomUUID();
    const [integration, tenant, malformed] = await Promise.all([
      runDocsync(['sync', '--integration', missing], env),
      runDocsync(['sync', '--tenant', missing], env),
      runDocsync(['sync', '--integration', 'contoso'], env),
    ]);
    expect(integration).toMatchObject({ code: 2, stdout: '' });
    expect(integration.stderr).toContain(`no integration ${missing}`);
    expect(tenant).toMatchObject({ code: 2, stdout: '' });
    expect(tenant.stderr).toContain(`no tenant ${missing}`);
    expect(malformed).toMatchObject({ code: 2, stdout: '' });
    expect(malformed.stderr).toContain('--integration expects an integration id, got "contoso"');
    for (const r of [integration, tenant, malformed]) expect(r.stderr).toContain('usage: docsync sync');
    // Nothing was queued for them.
    const runs = await db().selectFrom('sync_runs').select('id').where('status', 'in', ['queued', 'running']).execute();
    expect(runs).toEqual([]);
  });

  it('draws a progress bar on a terminal', async () => {
    // `script` gives the process a pseudo-terminal, as a person's shell would.
    const command = `${JSON.stringify(process.execPath)} bin/docsync.js sync --integration ${integrationId}`;
    const { code, stdout } = await runDocsync([], env, { command: 'script', commandArgs: ['-q', '-e', '-c', command, '/dev/null'] });
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/\[#{30}\] 3\/3 tenants, \d+ created/);
    expect(stdout).toMatch(/sync (succeeded|partial) \(3 tenants\)/);
  });
});
