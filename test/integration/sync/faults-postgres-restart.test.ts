// Postgres restarting in the middle of a sync run (pg_ctl -m fast: sessions terminated, open
// transactions rolled back), on a Postgres server of this file's own so the restart touches no
// other suite. The emulator holds one tenant's first Graph call (a delay fault) so the restart
// lands mid-tenant, not between tenants. Either the tenant completes, or it fails with
// a log line that says so and the next attempt repairs it; never a duplicate or a deletion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { startPostgres, type PostgresServer } from '../../support/postgres-server.ts';
import { databaseUrl } from '../../support/databases.ts';
import { loadConfig } from '../../../src/config.ts';
import { createContext, type AppContext } from '../../../src/context.ts';
import { openDatabase } from '../../../src/db/database.ts';
import { migrateToLatest } from '../../../src/db/migrate.ts';
import { createSyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun, getRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { connectEmulatedPartner } from './cli-harness.ts';

describe('Postgres restarts in the middle of a sync run', () => {
  let server: PostgresServer;
  let emulator: RunningEmulator;
  let ctx: AppContext;
  let now = Date.now();
  const clock = { now: () => new Date(now) };
  const workerLog: string[] = [];
  let integrationId: string;

  beforeAll(async () => {
    server = await startPostgres();
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('create database docsync_restart');
    await admin.end();
    const database = await openDatabase({ url: databaseUrl(server.url, 'docsync_restart'), dataDir: 'unused', poolSize: 4 });
    await migrateToLatest(database.db);
    emulator = await startEmulator({ seed: 31, customers: 4, usersPerTenant: 12, autoConsent: true });
    const config = loadConfig({
      env: { DOCSYNC_ENV: 'test' },
      overrides: {
        secrets: { encryptionKey: randomBytes(32).toString('base64') },
        microsoft: { authorityHost: emulator.urls.authorityHost, graphBaseUrl: emulator.urls.graphBaseUrl },
        sync: { leaseSeconds: 20 },
      },
    });
    const log = pino({ level: 'warn' }, { write: (line: string) => void workerLog.push(line) });
    ctx = await createContext(config, { database, log, clock });
    const microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
    integrationId = await connectEmulatedPartner(ctx, emulator, { microsoft });
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
    // A failed test may leave the server stopped; its directory is removed either way.
    try {
      server?.stop();
    } catch {
      // already stopped
    }
  });

  const db = () => ctx.database.db;
  const worker = () => createSyncWorker(createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) }).runner, { concurrency: 1 });
  const contacts = () =>
    db().selectFrom('contacts').select(['id', 'tenant_id', 'microsoft_user_id', 'in_microsoft']).orderBy('id').execute();
  const tenantNamed = (name: string) =>
    db()
      .selectFrom('tenants')
      .select(['id', 'microsoft_tenant_id', 'display_name'])
      .where('display_name', '=', name)
      .executeTakeFirstOrThrow();

  /** Polls (bounded) until `condition` holds; never a fixed sleep. */
  async function until<T>(
    what: string,
    condition: () => Promise<T | undefined | false> | T | undefined | false,
    withinMs = 20_000,
  ): Promise<T> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const value = await condition();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Holds the tenant's next Graph call for `ms`; resolves (with its run) once the call is held. */
  async function holdNextGraphCall(runId: string, tenant: { id: string; microsoft_tenant_id: string }, ms: number) {
    const rule = emulator.control.faults.add({
      server: 'graph',
      tenant: tenant.microsoft_tenant_id,
      count: 1,
      action: { kind: 'delay', ms },
    });
    return {
      held: () =>
        until("the tenant's Graph call to be held", async () => {
          if (emulator.control.faults.list().some((r) => r.id === rule.id)) return undefined;
          const child = (await childRuns(db(), runId)).find((c) => c.tenant_id === tenant.id);
          return child?.status === 'running' ? child : undefined;
        }),
    };
  }

  const noDuplicates = (rows: Array<{ tenant_id: string | null; microsoft_user_id: string | null }>) => {
    const keys = rows.filter((r) => r.microsoft_user_id).map((r) => `${r.tenant_id}:${r.microsoft_user_id}`);
    expect(new Set(keys).size).toBe(keys.length);
  };

  it('completes the run when Postgres is back before the tenant next touches it', async () => {
    const victim = await tenantNamed('Contoso, Ltd.');
    // A scheduled run between discoveries (the last one is recent): the tenants are synced as
    // discovery last saw them, so what changed in Microsoft since meets the tenant sync itself.
    const runId = await enqueueIntegrationRun(db(), { integrationId, trigger: 'schedule', now: clock.now() });
    // Held long enough for the restart (usually about a second) to be over before it answers.
    const hold = await holdNextGraphCall(runId, victim, 6000);
    const draining = worker().drain({ runId });
    await hold.held();
    await server.restart();
    await draining;

    const run = (await getRun(db(), runId))!;
    const children = await childRuns(db(), runId);
    expect(children.map((c) => c.status).filter((s) => s !== 'succeeded' && s !== 'partial')).toEqual([]);
    expect(run.status).not.toBe('failed');
    expect((await readSyncLog(db(), runId)).filter((l) => l.level === 'error')).toEqual([]);
    const rows = await contacts();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((c) => c.tenant_id === victim.id).length).toBeGreaterThan(0);
    noDuplicates(rows);
  });

  it('puts the tenant back in the queue with a log line when Postgres is down as it writes, and repairs it on the retry', async () => {
    const before = await contacts();
    // A user added in Microsoft since the last run: the retry must document her exactly once.
    const victim = await tenantNamed('Contoso Health');
    emulator.world.addUser(victim.microsoft_tenant_id, { displayName: 'Rita Restart', givenName: 'Rita', surname: 'Restart' });
    now += 2 * 3_600_000;
    const runId = await enqueueIntegrationRun(db(), { integrationId, trigger: 'schedule', now: clock.now() });
    const hold = await holdNextGraphCall(runId, victim, 2500);
    const draining = worker().drain();
    const inFlight = await hold.held();
    await server.stopFast();
    // The held call returns into a database that is gone; the runner says it waits for it.
    await until('the worker to notice the database is gone', () => workerLog.some((l) => l.includes('the database went away')));
    await server.start();
    await draining;

    const retried = (await getRun(db(), inFlight.id))!;
    expect(retried.status).toBe('queued');
    const line = (await readSyncLog(db(), inFlight.id)).find((l) => l.code === 'database_unavailable')!;
    expect(line.level).toBe('warning');
    expect(line.message).toContain(victim.display_name);
    expect(line.message).toContain('nothing was deleted');
    // The other tenants finished meanwhile; nothing was lost or removed.
    const others = (await childRuns(db(), runId)).filter((c) => c.id !== inFlight.id);
    expect(others.every((c) => c.status === 'succeeded' || c.status === 'partial')).toBe(true);
    const during = await contacts();
    expect(during.filter((c) => before.some((b) => b.id === c.id))).toEqual(before);

    // After the backoff the retry syncs the tenant, with the new user, once.
    now += 60 * 60_000;
    await worker().drain({ runId });
    expect((await getRun(db(), inFlight.id))!).toMatchObject({ attempts: 2 });
    expect(['succeeded', 'partial']).toContain((await getRun(db(), inFlight.id))!.status);
    expect((await getRun(db(), runId))!.status).not.toBe('failed');
    const after = await contacts();
    noDuplicates(after);
    expect(after.filter((c) => before.some((b) => b.id === c.id))).toEqual(before);
    const rita = await db()
      .selectFrom('contacts')
      .select('id')
      .where('tenant_id', '=', victim.id)
      .where('last_name', '=', 'Restart')
      .execute();
    expect(rita).toHaveLength(1);

    // And a run with no change in Microsoft writes nothing.
    now += 2 * 3_600_000;
    const againId = await enqueueIntegrationRun(db(), { integrationId, trigger: 'schedule', now: clock.now() });
    await worker().drain({ runId: againId });
    expect((await getRun(db(), againId))!).toMatchObject({ created: 0, updated: 0 });
    expect((await contacts()).length).toBe(after.length);
  });
});
