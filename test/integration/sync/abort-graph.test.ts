// A tenant sync whose time budget runs out while Microsoft holds it — a Graph request that hangs,
// a 429 storm with a minute's Retry-After, a slow token request — against the emulator with the
// real Graph client, MSAL and real timers. The run's signal ends the request or the wait at once:
// the tenant ends "failed" with the time-budget line, nothing stored is lost, and the other
// tenants (and the token the stopped tenant was waiting for) carry on. Without the abort reaching
// Microsoft's calls each of these outlasts vitest's timeout, or the token's hold.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun, getRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import type { RunnerDeps } from '../../../src/sync/runner.ts';
import type { SyncRun } from '../../../src/db/schema.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from './fixtures.ts';

const BUDGET_SECONDS = 1;
/** The emulator's longest delay: far past vitest's 60 s timeout. */
const GRAPH_HOLD_MS = 120_000;
const TOKEN_HOLD_MS = 10_000;

describe('a tenant sync stopped by its time budget while Microsoft holds it', () => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let microsoft: SyncMicrosoft;
  let integrationId: string;

  beforeEach(async () => {
    emulator = await startEmulator({ seed: 29, customers: 3, usersPerTenant: 12, autoConsent: true });
    ctx = await createTestContext('pglite', { config: emulatorAsMicrosoft(emulator) });
    // Real sleeps and the real clock: the waits this is about are real ones.
    microsoft = createSyncMicrosoft(ctx);
    integrationId = await connectIntegrationToEmulator(microsoft, emulator, { createOrganizations: true });
    // Documentation to lose, if anything were lost.
    const first = await syncAll(microsoft.runner);
    expect(first.children.every(synced)).toBe(true);
  });
  afterEach(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  /** The same runner with a per-tenant time budget shorter than configuration allows. */
  const withBudget = (runner: RunnerDeps, seconds: number): RunnerDeps => ({
    ...runner,
    config: { ...runner.config, sync: { ...runner.config.sync, tenantTimeBudgetSeconds: seconds } },
  });

  async function syncAll(runner: RunnerDeps, options: { fullListing?: boolean } = {}) {
    const db = ctx.database.db;
    const runId = await enqueueIntegrationRun(db, { integrationId, trigger: 'schedule', now: ctx.clock.now() });
    await createSyncWorker(runner, { concurrency: 1, ...options }).drain({ runId });
    return { runId, run: (await getRun(db, runId))!, children: await childRuns(db, runId), log: await readSyncLog(db, runId) };
  }

  const activeTenants = () =>
    ctx.database.db
      .selectFrom('tenants')
      .select(['id', 'microsoft_tenant_id', 'display_name'])
      .where('active', '=', true)
      .orderBy('microsoft_tenant_id')
      .execute();
  /** What a tenant has stored: its contacts and its staged users. */
  async function stored(tenantId: string) {
    const db = ctx.database.db;
    return {
      contacts: await db
        .selectFrom('contacts')
        .select(['id', 'microsoft_user_id', 'in_microsoft', 'updated_at'])
        .where('tenant_id', '=', tenantId)
        .orderBy('id')
        .execute(),
      users: await db
        .selectFrom('ms_users')
        .select(['user_id', 'content_hash', 'removed_at'])
        .where('tenant_id', '=', tenantId)
        .orderBy('user_id')
        .execute(),
    };
  }
  const synced = (run: SyncRun) => run.status === 'succeeded' || run.status === 'partial';
  const seconds = (run: SyncRun) => (new Date(run.finished_at!).getTime() - new Date(run.started_at!).getTime()) / 1000;

  async function expectOutOfTime(result: Awaited<ReturnType<typeof syncAll>>, tenant: { id: string; display_name: string }) {
    const stopped = result.children.find((c) => c.tenant_id === tenant.id)!;
    expect(stopped).toMatchObject({ status: 'failed', error_code: 'time_budget_exceeded' });
    // Stopped at the budget, not when Microsoft let go.
    expect(seconds(stopped)).toBeLessThan(BUDGET_SECONDS + 5);
    const errors = result.log.filter((l) => l.level === 'error');
    expect(errors.map((l) => [l.tenant_id, l.code])).toEqual([[tenant.id, 'time_budget_exceeded']]);
    expect(errors[0]!.message).toContain(`${tenant.display_name} took longer than ${BUDGET_SECONDS} s`);
    const others = result.children.filter((c) => c.tenant_id !== tenant.id);
    expect(others.length).toBeGreaterThan(0);
    expect(others.every(synced)).toBe(true);
    expect(result.run.status).toBe('partial');
    return stopped;
  }

  it('ends a Graph request that hangs at the time budget, and syncs the other tenants', async () => {
    const [held] = await activeTenants();
    const before = await stored(held!.id);
    expect(before.users.length).toBeGreaterThan(0);
    emulator.control.faults.add({
      server: 'graph',
      tenant: held!.microsoft_tenant_id,
      endpoint: '/v1.0/users',
      action: { kind: 'delay', ms: GRAPH_HOLD_MS },
    });

    const result = await syncAll(withBudget(microsoft.runner, BUDGET_SECONDS), { fullListing: true });

    await expectOutOfTime(result, held!);
    expect(emulator.control.faults.list()[0]!.fired).toBe(1);
    // An aborted listing is a failed fetch: no user of the held tenant is taken for removed.
    expect(await stored(held!.id)).toEqual(before);
  });

  it("ends a 429 storm's Retry-After wait at the time budget, deleting nothing", async () => {
    const [, stormed] = await activeTenants();
    const before = await stored(stormed!.id);
    // A minute's Retry-After on every call of one tenant: the retry policy (5 minutes of waiting
    // per request) would wait it out again and again.
    emulator.control.faults.add({
      server: 'graph',
      tenant: stormed!.microsoft_tenant_id,
      action: { kind: 'status', status: 429, retryAfter: 60 },
    });

    const result = await syncAll(withBudget(microsoft.runner, BUDGET_SECONDS), { fullListing: true });

    const stopped = await expectOutOfTime(result, stormed!);
    expect(stopped.throttled).toBe(1);
    expect(await stored(stormed!.id)).toEqual(before);
  });

  it('stops waiting for a slow token in the tenant out of time, while the token request itself completes for later', async () => {
    const [, , slow] = await activeTenants();
    // A new process: no access token cached, each tenant asks the identity platform for its own.
    const fresh = createSyncMicrosoft(ctx);
    emulator.control.faults.add({
      server: 'identity',
      tenant: slow!.microsoft_tenant_id,
      endpoint: '*/oauth2/v2.0/token',
      count: 1,
      action: { kind: 'delay', ms: TOKEN_HOLD_MS },
    });

    const result = await syncAll(withBudget(fresh.runner, BUDGET_SECONDS));

    const stopped = await expectOutOfTime(result, slow!);
    expect(seconds(stopped)).toBeLessThan(TOKEN_HOLD_MS / 1000);
    expect(stopped.graph_requests).toBe(0);
    // The token request was left running, not cancelled: asking again joins it and gets its token.
    await expect(fresh.tokens.accessToken(integrationId, slow!.microsoft_tenant_id)).resolves.toEqual(expect.any(String));
    const perTenant = fresh.tokens.stats().perTenant;
    for (const tenant of await activeTenants()) expect(perTenant[tenant.microsoft_tenant_id.toLowerCase()]).toBe(1);

    // The next run syncs that tenant on the token it waited for.
    const again = await syncAll(fresh.runner);
    expect(again.children.every(synced)).toBe(true);
    expect(fresh.tokens.stats().perTenant[slow!.microsoft_tenant_id.toLowerCase()]).toBe(1);
  });
});
