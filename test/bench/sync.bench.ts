// The sync engine end to end against the emulator (real HTTP, real MSAL, the real Graph client)
// on a throwaway Postgres server (or DATABASE_URL, or the embedded PGlite with SYNC_BENCH_DB=pglite):
// first sync of N tenants × M users, then a no-change re-sync.
// Figures: wall time, users/s, peak RSS, Graph requests ÷ the minimum possible (defined in the
// output: the pages the data needs), rows written on the re-sync (must be 0). The MSP already
// documents every customer (one organization per tenant, found by verified domain), so every
// tenant's users are documented on the first sync.
// Size: SYNC_BENCH_TENANTS (default 20), SYNC_BENCH_USERS (default 500),
// several sizes: SYNC_BENCH_TENANTS=10,50,100 (cost should grow linearly, memory should not).
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { sql } from 'kysely';
import { startEmulator } from '../../src/emulator/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createContext } from '../../src/context.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createSyncMicrosoft } from '../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../src/sync/worker.ts';
import { enqueueIntegrationRun, getRun } from '../../src/sync/runs.ts';
import { readSyncLog } from '../../src/sync/sync-log.ts';
import { startPostgres, type PostgresServer } from '../support/postgres-server.ts';

const sizes = (process.env.SYNC_BENCH_TENANTS ?? '20').split(',').map(Number);
const usersPerTenant = Number(process.env.SYNC_BENCH_USERS ?? 500);
const usePglite = process.env.SYNC_BENCH_DB === 'pglite';

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

let server: PostgresServer | undefined;
const adminUrl = usePglite ? null : (process.env.DATABASE_URL ?? (server = await startPostgres()).url);

async function once(tenants: number): Promise<void> {
  peakRss = process.memoryUsage().rss;
  const emulator = await startEmulator({ seed: 3, customers: tenants, usersPerTenant, autoConsent: true });
  let url: string | null = null;
  if (adminUrl) {
    const pg = await import('pg');
    const name = `docsync_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.default.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    url = u.toString();
  }
  const config = loadConfig({
    env: { DOCSYNC_ENV: 'test' },
    overrides: {
      database: { url, dataDir: 'memory://' },
      secrets: { encryptionKey: randomBytes(32).toString('base64') },
      microsoft: { authorityHost: emulator.urls.authorityHost, graphBaseUrl: emulator.urls.graphBaseUrl },
      sync: { concurrency: 4 },
    },
  });
  const ctx = await createContext(config, { log: pino({ level: 'silent' }) });
  await migrateToLatest(ctx.database.db);
  const microsoft = createSyncMicrosoft(ctx);
  const c = emulator.credentials;
  const integrationId = (
    await microsoft.integrations.create({ kind: 'gdap', name: 'Bench', tenantId: c.partnerTenantId, clientId: c.clientId, clientSecret: c.clientSecret, settings: {} })
  ).id;
  await microsoft.integrations.storeRefreshToken(integrationId, c.refreshToken);
  const discovery = await microsoft.discovery.discover(integrationId);

  const active = await ctx.database.db.selectFrom('tenants').select(['id', 'tenant_id', 'domains']).where('active', '=', true).orderBy('tenant_id').execute();
  for (const [i, t] of active.entries()) {
    await ctx.database.db.insertInto('organizations').values({ name: `Customer ${i + 1}`, domains: t.domains as string[] }).execute();
  }
  const world = emulator.world;
  const users = active.reduce((n, t) => n + world.userCount(t.tenant_id), 0);

  const sync = async () => {
    const start = performance.now();
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'cli', now: new Date() });
    await createSyncWorker(microsoft.runner, { concurrency: config.sync.concurrency }).drain({ runId });
    return { runId, seconds: (performance.now() - start) / 1000, run: (await getRun(ctx.database.db, runId))! };
  };

  // The fewest requests any client could read the same data with — the pages it needs:
  // per tenant one $batch for the small reads (organization, domains, subscribedSkus,
  // reportSettings, the change feed's start, Intune's first page), users at Graph's largest page
  // (500 when signInActivity is read — Graph caps such pages at 500 — else 999), Intune pages
  // beyond the first (1,000 each), and the mailbox report when it was read (a 302, then the
  // download). Resources a tenant denied (no Intune, a GDAP role missing) need no page.
  async function minimumRequests(runId: string): Promise<number> {
    const log = await readSyncLog(ctx.database.db, runId);
    let total = 0;
    for (const t of active) {
      const said = (code: string) => log.some((l) => l.tenant_id === t.id && l.code === code);
      if (said('internal_error')) continue;
      const signIn = !said('sign_in_activity_unavailable');
      const userPages = Math.max(1, Math.ceil(world.userCount(t.tenant_id) / (signIn ? 500 : 999)));
      const devicePages = world.hasIntune(t.tenant_id) && !said('devices_not_synced') ? Math.max(0, Math.ceil(world.deviceSlotCount(t.tenant_id) / 1000) - 1) : 0;
      const report = said('mailboxes_not_synced') || said('reports_concealed') ? 0 : 2;
      total += 1 + userPages + devicePages + report;
    }
    return total;
  }
  const first = await sync();
  const minimum = await minimumRequests(first.runId);
  const resyncStart = new Date();
  const again = await sync();
  const touched = await sql<{ n: string }>`select
      (select count(*) from contacts where updated_at >= ${resyncStart}) + (select count(*) from configurations where updated_at >= ${resyncStart})
      + (select count(*) from match_decisions where updated_at >= ${resyncStart}) + (select count(*) from ms_users where last_seen_at >= ${resyncStart})
      + (select count(*) from ms_managed_devices where last_seen_at >= ${resyncStart}) + (select count(*) from contact_emails where created_at >= ${resyncStart}) as n`.execute(ctx.database.db);

  if (process.env.SYNC_BENCH_DEBUG) {
    for (const [table, column] of [['contacts', 'updated_at'], ['configurations', 'updated_at'], ['match_decisions', 'updated_at'], ['ms_users', 'last_seen_at'], ['ms_managed_devices', 'last_seen_at'], ['contact_emails', 'created_at']] as const) {
      const r = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)} where ${sql.ref(column)} >= ${resyncStart}`.execute(ctx.database.db);
      console.log(table, r.rows[0]!.n);
    }
    const d = await sql`select kind, state, rule, target_id is null as no_target, count(*) from match_decisions where updated_at >= ${resyncStart} group by 1,2,3,4`.execute(ctx.database.db);
    console.log(JSON.stringify(d.rows));
  }
  const figures = {
    database: ctx.database.kind,
    tenants: { discovered: discovery.counts.discovered, synced: first.run.progress_total - first.run.failed, failed: first.run.failed },
    usersPerTenant,
    users,
    first: {
      seconds: Number(first.seconds.toFixed(2)),
      usersPerSecond: Math.round(users / first.seconds),
      created: first.run.created,
      graphRequests: first.run.graph_requests,
      minimumRequests: minimum,
      requestsOverMinimum: Number((first.run.graph_requests / minimum).toFixed(2)),
      minimumIs: 'per tenant: 1 $batch (small reads + first Intune page) + users/500 pages (users/999 without signInActivity) + further Intune pages + 2 for the mailbox report when read',
      throttled: first.run.throttled,
    },
    resync: {
      seconds: Number(again.seconds.toFixed(2)),
      ofFirst: `${Math.round((again.seconds / first.seconds) * 100)} %`,
      created: again.run.created,
      updated: again.run.updated,
      graphRequests: again.run.graph_requests,
      rowsWritten: Number(touched.rows[0]!.n),
    },
    peakRssMb: Math.round(peakRss / 1_048_576),
  };
  console.log(JSON.stringify(figures));
  await ctx.close();
  await emulator.close();
}

try {
  for (const tenants of sizes) await once(tenants);
} finally {
  clearInterval(sampler);
  server?.stop();
}
