// Two workers (each with its own Graph client, pacers and adaptive concurrency, sharing only the
// database) against an emulator that enforces Microsoft's limits, scaled down so the test hits
// them: 20 requests a second per app across all tenants, and a small per-tenant identity budget.
// Every tenant is synced, and the emulator's own counters show the workers together never went
// over the per-app limit (paced through graph_app_budgets), while per-tenant 429s are waited out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from './fixtures.ts';

const APP_LIMIT_PER_SECOND = 20;

describe.each(DATABASE_KINDS)('two adaptive workers under Microsoft-like throttling on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;

  beforeAll(async () => {
    emulator = await startEmulator({
      seed: 18,
      customers: 8,
      usersPerTenant: 20,
      autoConsent: true,
      throttle: {
        limits: {
          appAnyRequest: { requests: APP_LIMIT_PER_SECOND, windowMs: 1_000 },
          identityAppTenantSmall: { requests: 8, windowMs: 1_000 },
        },
      },
    });
    ctx = await createTestContext(kind, {
      config: {
        ...emulatorAsMicrosoft(emulator),
        // 90 % of the emulator's per-app limit, as the default is of Microsoft's.
        sync: { appRequestsPerSecond: 18, concurrency: 2, maxConcurrency: 8 },
      },
    });
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  it('syncs every tenant without ever going over the per-app limit', async () => {
    const first = createSyncMicrosoft(ctx);
    const second = createSyncMicrosoft(ctx);
    const integrationId = await connectIntegrationToEmulator(first, emulator);
    emulator.throttle!.reset();

    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: new Date() });
    const finishedBy = [0, 0];
    const workers = [first, second].map((m, i) =>
      createSyncWorker(m.runner, {
        workerId: `worker-${i + 1}`,
        concurrency: ctx.config.sync.maxConcurrency,
        onTenantFinished: () => void finishedBy[i]!++,
      }),
    );
    await Promise.all(workers.map((w) => w.drain({ runId })));

    const tenants = await childRuns(ctx.database.db, runId);
    expect(tenants.length).toBeGreaterThan(0);
    // "partial" is the generated world's doing (a tenant without Intune, a role missing for
    // reports…), never throttling: no tenant failed, and none ran out of patience with Microsoft.
    expect(tenants.filter((t) => t.status !== 'succeeded' && t.status !== 'partial')).toEqual([]);
    expect(tenants.some((t) => t.status === 'succeeded')).toBe(true);
    const log = await readSyncLog(ctx.database.db, runId);
    expect(log.filter((line) => line.code === 'throttled_out' || line.code === 'retrying')).toEqual([]);
    // Both workers took tenants, and together they finished every one.
    expect(finishedBy.every((n) => n > 0)).toBe(true);
    expect(finishedBy[0]! + finishedBy[1]!).toBe(tenants.length);

    const counters = emulator.throttle!.counters();
    expect(counters.admitted).toBeGreaterThan(APP_LIMIT_PER_SECOND * 2);
    // The per-app limit never refused a request: the workers paced themselves through the database.
    expect(counters.throttledBy.appAnyRequest ?? 0).toBe(0);
    // What the per-tenant budget refused was waited out (every tenant succeeded) and counted by docsync.
    const throttledSeen = tenants.reduce((sum, t) => sum + t.throttled, 0);
    expect(throttledSeen).toBe(counters.throttled);
    const budget = await ctx.database.db.selectFrom('graph_app_budgets').selectAll().execute();
    expect(budget.map((b) => b.app_id)).toEqual([emulator.credentials.clientId.toLowerCase()]);
  }, 120_000);
});
