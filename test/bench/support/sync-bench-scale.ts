// One scale of the sync bench, in its own process (started by test/bench/sync.bench.ts), so its
// peak memory is this scale's alone. This process is docsync: the worker runs here, in process;
// the emulator runs as another process and the world's facts are computed in a third.
// Input: SYNC_BENCH_SCALE (JSON, ScaleInput). Output: JSON lines on stdout ({"event":…});
// progress on stderr.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import pino from 'pino';
import pg from 'pg';
import { loadConfig } from '../../../src/config.ts';
import { createContext } from '../../../src/context.ts';
import { migrateToLatest } from '../../../src/db/migrate.ts';
import { createSyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { enqueueIntegrationRun, getRun } from '../../../src/sync/runs.ts';
import { ownCpuSeconds, postgresServerCpuSeconds, postmasterOf, processCpuSeconds } from './sync-bench-cpu.ts';
import { spawnEmulator, type EmulatorProcess } from './sync-bench-emulator.ts';
import {
  averageRowWidth,
  createScratchDatabase,
  rawInsertRate,
  settledTableWrites,
  totalRows,
  writesBetween,
  type TableWrites,
} from './sync-bench-postgres.ts';
import type { WorldFacts } from './sync-bench-world.ts';
import type { BenchWorkerInput } from './sync-bench-worker.ts';
import { DOCUMENTATION_TABLES, type ScaleInput, type ScaleResult, type SyncFigures } from './sync-bench-figures.ts';

const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const say = (message: string) => process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const mb = (bytes: number) => Math.round(bytes / 1_048_576);
const round = (n: number, digits = 2) => Number(n.toFixed(digits));

async function worldFacts(input: ScaleInput): Promise<WorldFacts> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sync-bench-world.ts');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, String(input.seed), String(input.tenants), String(input.usersPerTenant)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  // 'close', not 'exit': stdout may still hold data when the process has exited.
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  process.off('exit', killOnExit);
  if (code !== 0) throw new Error(`sync-bench-world.ts exited with ${code}`);
  return JSON.parse(out) as WorldFacts;
}

/** Another worker process sharing the database and queue (support/sync-bench-worker.ts). */
interface WorkerProcess {
  pid: number;
  drain(runId: string): Promise<void>;
  stop(): void;
}

async function spawnWorker(input: BenchWorkerInput): Promise<WorkerProcess> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sync-bench-worker.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, SYNC_BENCH_WORKER: JSON.stringify(input) },
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const waiting: Array<(event: string) => void> = [];
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`a bench worker process exited with ${code}`))),
  );
  exited.catch(() => {});
  createInterface({ input: child.stdout }).on('line', (line) => {
    const event = (JSON.parse(line) as { event: string }).event;
    waiting.shift()?.(event);
  });
  await Promise.race([next(), exited]);
  return {
    pid: child.pid!,
    async drain(runId) {
      const drained = next();
      child.stdin.write(`${JSON.stringify({ runId })}\n`);
      await Promise.race([drained, exited]);
    },
    stop() {
      process.off('exit', killOnExit);
      child.kill('SIGTERM');
    },
  };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env.SYNC_BENCH_SCALE ?? 'null') as ScaleInput | null;
  if (!input) throw new Error('SYNC_BENCH_SCALE (JSON) is required; run test/bench/sync.bench.ts');
  const load0 = loadavg()[0]!;

  // Memory: sampled every 50 ms (what the brief asks) and the kernel's high-water mark
  // (getrusage ru_maxrss: cannot miss a spike between samples).
  let sampledPeak = 0;
  let peakHeapUsed = 0;
  let snapshotWritten = input.heapSnapshotMb === null;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    sampledPeak = Math.max(sampledPeak, m.rss);
    peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed);
    if (!snapshotWritten && m.rss > input.heapSnapshotMb! * 1_048_576) {
      snapshotWritten = true;
      mkdirSync(input.heapSnapshotDir, { recursive: true });
      say(
        `heap snapshot at ${mb(m.rss)} MB RSS: ` +
          `${writeHeapSnapshot(path.join(input.heapSnapshotDir, `sync-bench-${input.tenants}-${Date.now()}.heapsnapshot`))}`,
      );
    }
  }, 50);

  let emulator: EmulatorProcess | undefined;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  let stats: pg.Client | undefined;
  let closeContext: (() => Promise<void>) | undefined;
  const otherWorkers: WorkerProcess[] = [];
  const cleanUp = async () => {
    clearInterval(sampler);
    for (const w of otherWorkers.splice(0)) w.stop();
    await closeContext?.().catch(() => {});
    await stats?.end().catch(() => {});
    await emulator?.stop().catch(() => {});
    await scratch?.drop().catch(() => {});
  };
  // The parent stops a scale that outlives its deadline with SIGTERM.
  process.once('SIGTERM', () => {
    say('stopped (deadline or interrupt): cleaning up');
    void cleanUp().finally(() => process.exit(3));
  });

  try {
    const setupStart = performance.now();
    say(`${input.tenants} tenants × ${input.usersPerTenant} users: starting the emulator process and computing the world's facts`);
    const [facts, started] = await Promise.all([
      worldFacts(input),
      spawnEmulator({
        seed: input.seed,
        customers: input.tenants,
        usersPerTenant: input.usersPerTenant,
        cachedTenants: Number(process.env.SYNC_BENCH_EMULATOR_CACHE ?? 0) || input.tenants + 1,
        latency: input.latency,
        throttle: input.throttle,
      }),
    ]);
    emulator = started;
    emit({ event: 'emulator', pid: emulator.pid });
    scratch = await createScratchDatabase(input.adminUrl);
    stats = new pg.Client({ connectionString: scratch.url });
    await stats.connect();
    const { rows: backend } = await stats.query<{ pid: number }>('select pg_backend_pid() as pid');
    const postmasterPid = postmasterOf(backend[0]!.pid);
    const emulatorAndWorld = (performance.now() - setupStart) / 1000;

    const encryptionKey = randomBytes(32).toString('base64');
    const config = loadConfig({
      env: { DOCSYNC_ENV: 'test' },
      overrides: {
        database: { url: scratch.url, dataDir: 'memory://' },
        secrets: { encryptionKey },
        microsoft: { authorityHost: emulator.info.authorityHost, graphBaseUrl: emulator.info.graphBaseUrl },
        sync: { concurrency: input.concurrency, ...(input.maxConcurrency ? { maxConcurrency: input.maxConcurrency } : {}) },
      },
    });
    const ctx = await createContext(config, { log: pino({ level: 'silent' }) });
    // Workers beyond this process's own: started (and their context built) before any sync, so
    // the timed runs hold no process start-up.
    for (let i = 1; i < input.workers; i++) {
      otherWorkers.push(
        await spawnWorker({
          databaseUrl: scratch.url,
          encryptionKey,
          authorityHost: emulator.info.authorityHost,
          graphBaseUrl: emulator.info.graphBaseUrl,
          concurrency: input.concurrency,
          maxConcurrency: input.maxConcurrency,
        }),
      );
    }
    closeContext = () => ctx.close();
    const db = ctx.database.db;
    await migrateToLatest(db);
    const microsoft = createSyncMicrosoft(ctx);
    const c = emulator.info;
    const integrationId = (
      await microsoft.integrations.create({
        kind: 'gdap',
        name: 'Bench',
        tenantId: c.partnerTenantId,
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        settings: {},
      })
    ).id;
    await microsoft.integrations.storeRefreshToken(integrationId, c.refreshToken);
    const discoveryStart = performance.now();
    const discovery = await microsoft.discovery.discover(integrationId);
    const discoverySeconds = (performance.now() - discoveryStart) / 1000;
    say(`discovered ${discovery.counts.discovered} customers in ${discoverySeconds.toFixed(1)} s`);

    // The MSP already documents every customer (one organization per tenant, matched by verified
    // domain), so every tenant's users are documented on the first sync.
    const active = await db
      .selectFrom('tenants')
      .select(['id', 'microsoft_tenant_id', 'domains'])
      .where('active', '=', true)
      .orderBy('microsoft_tenant_id')
      .execute();
    for (const [i, t] of active.entries()) {
      await db
        .insertInto('organizations')
        .values({ name: `Customer ${i + 1}`, domains: t.domains as string[] })
        .execute();
    }
    const factsOf = (tenantId: string) =>
      facts.tenants[tenantId.toLowerCase()] ?? { users: 0, intune: false, devices: 0, groupsDeltaPages: 1 };
    const users = active.reduce((n, t) => n + factsOf(t.microsoft_tenant_id).users, 0);
    const intuneTenants = active.filter((t) => factsOf(t.microsoft_tenant_id).intune).length;
    const devices = active.reduce((n, t) => n + factsOf(t.microsoft_tenant_id).devices, 0);

    const cpuNow = () => ({
      docsync: ownCpuSeconds() + otherWorkers.reduce((sum, w) => sum + (processCpuSeconds(w.pid) ?? 0), 0),
      emulator: processCpuSeconds(emulator!.pid),
      postgres: postmasterPid ? postgresServerCpuSeconds(postmasterPid) : null,
    });
    const sync = async (label: string, before: TableWrites) => {
      const cpuBefore = cpuNow();
      const startedAt = new Date();
      // V8's CPU profile timestamps are CLOCK_MONOTONIC microseconds, like hrtime: marks to cut a
      // --cpu-prof profile into the two syncs.
      const profileFrom = Number(process.hrtime.bigint() / 1000n);
      const start = performance.now();
      const runId = await enqueueIntegrationRun(db, { integrationId, trigger: input.trigger, now: new Date() });
      const progress = setInterval(() => {
        void stats!
          .query<{ done: string; total: string }>(
            `select count(*) filter (where status not in ('queued', 'running')) as done, count(*) as total from sync_runs where ` +
              `parent_run_id = $1`,
            [runId],
          )
          .then(({ rows }) =>
            say(
              `${label}: ${rows[0]!.done}/${rows[0]!.total} tenants after ${((performance.now() - start) / 1000).toFixed(0)} s, RSS ` +
                `${mb(process.memoryUsage().rss)} MB`,
            ),
          )
          .catch(() => {});
      }, 15_000);
      try {
        // Every worker drains the same run, as production's workers share one queue.
        await Promise.all([
          createSyncWorker(microsoft.runner, { concurrency: config.sync.maxConcurrency }).drain({ runId }),
          ...otherWorkers.map((w) => w.drain(runId)),
        ]);
      } finally {
        clearInterval(progress);
      }
      const seconds = (performance.now() - start) / 1000;
      const ended = performance.now();
      const endedAt = new Date();
      const profileTo = Number(process.hrtime.bigint() / 1000n);
      const cpuAfter = cpuNow();
      const spent = (a: number | null, b: number | null) => (a === null || b === null ? null : round(b - a, 1));
      const run = (await getRun(db, runId))!;
      const { rows: timing } = await stats!.query<{ sum: number | null; max: number | null }>(
        `select sum(extract(epoch from finished_at - started_at))::float8 as sum, max(extract(epoch from finished_at - ` +
          `started_at))::float8 as max from sync_runs where parent_run_id = $1`,
        [runId],
      );
      const writesAfter = await settledTableWrites(stats!, ended);
      const writes = writesBetween(before, writesAfter);
      say(`${label}: ${seconds.toFixed(1)} s, ${run.graph_requests} Graph requests, ${totalRows(writes)} rows written`);
      const figures: SyncFigures = {
        seconds: round(seconds),
        usersPerSecond: Math.round(users / seconds),
        created: run.created,
        updated: run.updated,
        graphRequests: run.graph_requests,
        throttled: run.throttled,
        failedTenants: run.failed,
        parallelism: round((timing[0]?.sum ?? 0) / seconds),
        slowestTenantSeconds: round(timing[0]?.max ?? 0),
        rowsWritten: totalRows(writes),
        documentationRowsWritten: totalRows(writes, DOCUMENTATION_TABLES),
        writesByTable: writes,
        profileWindowMicroseconds: [profileFrom, profileTo],
        cpuSeconds: {
          docsync: spent(cpuBefore.docsync, cpuAfter.docsync),
          emulator: spent(cpuBefore.emulator, cpuAfter.emulator),
          postgres: spent(cpuBefore.postgres, cpuAfter.postgres),
        },
      };
      return { runId, run, figures, after: writesAfter, startedAt, endedAt };
    };

    // The fewest requests any client could read the same data with — the pages it needs (MINIMUM_IS).
    async function minimumRequests(runId: string): Promise<number> {
      // Every line of the run and its tenant runs (readSyncLog pages at 1,000 lines: too few here).
      const { rows: log } = await stats!.query<{ tenant_id: string | null; code: string }>(
        'select tenant_id, code from sync_log where run_id = $1 or run_id in (select id from sync_runs where parent_run_id = $1)',
        [runId],
      );
      for (const line of log) logCodes[line.code] = (logCodes[line.code] ?? 0) + 1;
      // Tenants whose app activity was staged: read even where the mailbox report was refused.
      const { rows: withActivity } = await stats!.query<{ tenant_id: string }>('select distinct tenant_id from ms_user_activity');
      const activityRead = new Set(withActivity.map((r) => r.tenant_id));
      let total = 0;
      for (const t of active) {
        const said = (code: string) => log.some((l) => l.tenant_id === t.id && l.code === code);
        if (said('internal_error')) continue;
        const f = factsOf(t.microsoft_tenant_id);
        const signIn = !said('sign_in_activity_unavailable');
        const userPages = Math.max(1, Math.ceil(f.users / (signIn ? 500 : 999)));
        const devicePages = f.intune && !said('devices_not_synced') ? Math.max(0, Math.ceil(f.devices / 1000) - 1) : 0;
        // The first page of groups/delta and of MFA registration rides in the $batch.
        const groupPages = said('groups_not_synced') ? 0 : f.groupsDeltaPages - 1;
        const mfaPages = said('mfa_not_available') || said('mfa_not_synced') ? 0 : Math.max(0, Math.ceil(f.users / 999) - 1);
        const concealed = said('reports_concealed');
        const mailboxReport = concealed || said('mailboxes_not_synced') ? 0 : 2;
        const activityRefused = said('activity_not_synced') || (said('mailboxes_not_synced') && !activityRead.has(t.id));
        const activityReports = concealed || activityRefused ? 0 : 4;
        total += 1 + userPages + devicePages + groupPages + mfaPages + mailboxReport + activityReports;
      }
      return total;
    }

    const logCodes: Record<string, number> = {};
    const setupWrites = await settledTableWrites(stats, performance.now());
    // SYNC_BENCH_DIAGNOSE: what one no-change tenant costs, piece by piece (sequential, after the runs).
    async function diagnose(): Promise<void> {
      const { documentationFingerprint } = await import('../../../src/sync/fingerprint.ts');
      // At most 100 tenants: enough for a per-tenant mean, bounded at any scale.
      const tenantsWithOrg = await db
        .selectFrom('match_decisions')
        .select(['tenant_id', 'target_id'])
        .where('kind', '=', 'organization')
        .limit(100)
        .execute();
      const timeIt = async (label: string, each: (t: { tenant_id: string; target_id: string | null }) => Promise<unknown>) => {
        const cpu0 = cpuNow();
        const t0 = performance.now();
        for (const t of tenantsWithOrg) await each(t);
        const ms = (performance.now() - t0) / tenantsWithOrg.length;
        const cpu1 = cpuNow();
        say(
          `diagnose ${label}: ${ms.toFixed(1)} ms per tenant; CPU s docsync ${(cpu1.docsync - cpu0.docsync).toFixed(2)}, postgres ` +
            `${((cpu1.postgres ?? 0) - (cpu0.postgres ?? 0)).toFixed(2)}`,
        );
      };
      await timeIt('documentationFingerprint', (t) =>
        documentationFingerprint(db, { tenantId: t.tenant_id, organizationId: t.target_id, computed: {} }),
      );
      // The fingerprint's parts: the staged records' hashes, and the organization's rows as text
      // (whole rows, jsonb overlay included) versus only their ids and row versions (xmin).
      const staged = (table: string, key: string, tenant: string) =>
        stats!.query(
          `select md5(coalesce(string_agg(${key} || ':' || content_hash || ':' || coalesce(removed_at::text, ''), ',' order by ${key}), ` +
            `'')) from ${table} where tenant_id = $1`,
          [tenant],
        );
      await timeIt('fingerprint part: staged hashes', async (t) => {
        await staged('ms_users', 'user_id', t.tenant_id);
        await staged('ms_managed_devices', 'device_id', t.tenant_id);
        await staged('ms_mailboxes', 'user_principal_name', t.tenant_id);
      });
      await timeIt('fingerprint part: organization rows as text', (t) =>
        stats!.query(
          `select (select md5(coalesce(string_agg(c::text, ',' order by c.id), '')) from contacts c where c.organization_id = $1)
             || (select md5(coalesce(string_agg(e::text, ',' order by e.id), '')) from contact_emails e join contacts c on c.id =
               e.contact_id where c.organization_id = $1)
             || (select md5(coalesce(string_agg(g::text, ',' order by g.id), '')) from configurations g where g.organization_id = $1)`,
          [t.target_id],
        ),
      );
      await timeIt('alternative: organization rows as id:xmin', (t) =>
        stats!.query(
          `select (select md5(coalesce(string_agg(c.id::text || ':' || c.xmin::text, ',' order by c.id), '')) from contacts c where
            c.organization_id = $1)
             || (select md5(coalesce(string_agg(e.id::text || ':' || e.xmin::text, ',' order by e.id), '')) from contact_emails e join
               contacts c on c.id = e.contact_id where c.organization_id = $1)
             || (select md5(coalesce(string_agg(g.id::text || ':' || g.xmin::text, ',' order by g.id), '')) from configurations g where
               g.organization_id = $1)`,
          [t.target_id],
        ),
      );
      const sample = tenantsWithOrg.find((t) => t.target_id);
      if (sample) {
        const { rows: plan } = await stats!.query(
          `explain (analyze, buffers) select (select md5(coalesce(string_agg(c::text, ',' order by c.id), '')) from contacts c where
            c.organization_id = $1)
             || (select md5(coalesce(string_agg(e::text, ',' order by e.id), '')) from contact_emails e join contacts c on c.id =
               e.contact_id where c.organization_id = $1)
             || (select md5(coalesce(string_agg(g::text, ',' order by g.id), '')) from configurations g where g.organization_id = $1)`,
          [sample.target_id],
        );
        say(`diagnose plan of the organization part:\n${plan.map((r: Record<string, string>) => `      ${r['QUERY PLAN']}`).join('\n')}`);
      }
      await timeIt('staged devices keys+hashes', (t) =>
        db
          .selectFrom('ms_managed_devices')
          .select(['device_id', 'content_hash', 'removed_at'])
          .where('tenant_id', '=', t.tenant_id)
          .execute(),
      );
      await timeIt('staged users keys+hashes', (t) =>
        db.selectFrom('ms_users').select(['user_id', 'content_hash', 'removed_at']).where('tenant_id', '=', t.tenant_id).execute(),
      );
    }
    const rssBeforeSync = process.memoryUsage().rss;
    const first = await sync('first sync', setupWrites);
    const minimum = await minimumRequests(first.runId);
    // A tenant's derived documentation is valid until a user crosses the inactivity line by time
    // alone (tenant_documentation_state.valid_until): such a tenant is re-derived and may rightly
    // write (a contact turns "inactive"). Which tenants could, and which did:
    const { rows: validity } = await stats.query<{ tenant_id: string; valid_until: Date | null }>(
      'select tenant_id, valid_until from tenant_documentation_state',
    );
    const again = await sync('no-change re-sync', first.after);
    const expiredByTime = new Set(
      validity.filter((v) => v.valid_until !== null && v.valid_until.getTime() <= again.endedAt.getTime()).map((v) => v.tenant_id),
    );
    const { rows: rederived } = await stats.query<{ tenant_id: string }>(
      'select tenant_id from tenant_documentation_state where updated_at >= $1',
      [again.startedAt],
    );
    // Memory figures end here: what follows is the bench's own yardstick, not docsync.
    clearInterval(sampler);
    const peakRss = Math.max(sampledPeak, process.resourceUsage().maxRSS * 1024);
    const emulatorPeakRssMb = emulator.peakRssMb();
    if (process.env.SYNC_BENCH_DIAGNOSE) await diagnose();

    const { rows: staged } = await stats.query<{ users: string; devices: string }>(
      `select (select count(*) from ms_users where removed_at is null) as users, (select count(*) from ms_managed_devices where ` +
        `removed_at is null) as devices`,
    );
    const rowWidth = await averageRowWidth(stats, first.figures.writesByTable);
    await closeContext();
    closeContext = undefined;
    await emulator.stop();
    say(`raw batched INSERT yardstick: ${Math.min(first.figures.rowsWritten, input.rawRowsCap)} rows of ${rowWidth} bytes`);
    const raw = await rawInsertRate(scratch.url, {
      rows: Math.max(10_000, Math.min(first.figures.rowsWritten, input.rawRowsCap)),
      rowWidth,
    });
    const rowsPerSecond = first.figures.rowsWritten / first.figures.seconds;

    const result: ScaleResult = {
      tenants: {
        requested: input.tenants,
        discovered: discovery.counts.discovered,
        active: active.length,
        synced: first.run.progress_total - first.run.failed,
        failed: first.run.failed,
      },
      usersPerTenant: input.usersPerTenant,
      users,
      stagedUsers: Number(staged[0]!.users),
      intuneTenants,
      devices,
      stagedDevices: Number(staged[0]!.devices),
      trigger: input.trigger,
      concurrency: input.concurrency,
      maxConcurrency: input.maxConcurrency,
      workers: input.workers,
      latency: input.latency,
      throttle: input.throttle,
      setupSeconds: { emulatorAndWorld: round(emulatorAndWorld, 1), discovery: round(discoverySeconds, 1) },
      first: { ...first.figures, logCodes, minimumRequests: minimum, requestsOverMinimum: round(first.figures.graphRequests / minimum, 3) },
      resync: {
        ...again.figures,
        tenantsExpiredByTime: expiredByTime.size,
        tenantsRederived: rederived.length,
        tenantsRederivedWithoutExpiry: rederived.filter((r) => !expiredByTime.has(r.tenant_id)).length,
        ofFirst: round(again.figures.seconds / first.figures.seconds, 3),
      },
      database: {
        rowsPerSecond: Math.round(rowsPerSecond),
        raw: { rows: raw.rows, rowWidthBytes: rowWidth, seconds: round(raw.seconds), rowsPerSecond: Math.round(raw.rowsPerSecond) },
        ofRaw: round(rowsPerSecond / raw.rowsPerSecond, 3),
      },
      memory: {
        docsyncPeakRssMb: mb(peakRss),
        docsyncSampledPeakRssMb: mb(sampledPeak),
        docsyncRssBeforeSyncMb: mb(rssBeforeSync),
        docsyncPeakHeapUsedMb: mb(peakHeapUsed),
        emulatorPeakRssMb,
      },
      loadAverage: { start: round(load0), end: round(loadavg()[0]!) },
    };
    emit({ event: 'result', result });
  } finally {
    await cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
