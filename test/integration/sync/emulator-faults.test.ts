// The sync engine against the emulator (real HTTP, real MSAL, the real Graph client) with
// Microsoft misbehaving: throttling storms, 5xx and dropped connections, a revoked partner
// sign-in, a tenant that fails every call. After each: nothing lost, nothing duplicated,
// nothing deleted, and the log says what happened.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun, getRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from './fixtures.ts';

describe('sync against the emulator, with faults', () => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.now();
  const clock = { now: () => new Date(now) };
  const sleeps: number[] = [];
  let microsoft: SyncMicrosoft;
  let integrationId: string;

  beforeEach(async () => {
    emulator = await startEmulator({ seed: 11, customers: 4, usersPerTenant: 30, autoConsent: true });
    ctx = await createTestContext('pglite', { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = newProcess();
    integrationId = await connectIntegrationToEmulator(microsoft, emulator, { createOrganizations: true });
  });
  afterEach(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  // Retry-After and backoff waits move the test clock instead of sleeping.
  function newProcess(): SyncMicrosoft {
    return createSyncMicrosoft(ctx, {
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
  }

  async function syncAll(options: { process?: SyncMicrosoft; onTenantFinished?: () => void } = {}) {
    // A scheduled run between discoveries (the last one is recent): the tenants are synced as
    // discovery last saw them, so what changed in Microsoft since meets the tenant sync itself.
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'schedule', now: clock.now() });
    const worker = createSyncWorker((options.process ?? microsoft).runner, { concurrency: 1, onTenantFinished: options.onTenantFinished });
    // Tenants re-queued with backoff are picked up once the (test) clock passes their not_before.
    for (let round = 0; round < 4; round++) {
      await worker.drain();
      const run = (await getRun(ctx.database.db, runId))!;
      if (!['queued', 'running'].includes(run.status)) break;
      now += 60 * 60_000;
    }
    return { runId, run: (await getRun(ctx.database.db, runId))!, children: await childRuns(ctx.database.db, runId) };
  }

  const contacts = () => ctx.database.db.selectFrom('contacts').select(['id', 'microsoft_user_id', 'in_microsoft']).execute();
  const activeTenants = async () =>
    await ctx.database.db.selectFrom('tenants').select(['id', 'microsoft_tenant_id', 'display_name']).where('active', '=', true).execute();

  it('rides out a 429 storm with Retry-After and writes nothing on the re-sync', async () => {
    emulator.control.faults.add({
      server: 'graph',
      endpoint: '/v1.0/users*',
      count: 6,
      action: { kind: 'status', status: 429, retryAfter: 2.5 },
    });
    const first = await syncAll();
    expect(first.run.status).not.toBe('failed');
    expect(first.run.throttled).toBeGreaterThanOrEqual(6);
    expect(sleeps.filter((ms) => ms >= 2500).length).toBeGreaterThanOrEqual(6);
    const created = (await contacts()).length;
    expect(created).toBeGreaterThan(0);
    expect(first.run.created).toBeGreaterThanOrEqual(created);

    const again = await syncAll();
    expect(again.run).toMatchObject({ created: 0, updated: 0 });
    expect((await contacts()).length).toBe(created);
  });

  it('survives 5xx and dropped connections mid-listing', async () => {
    emulator.control.faults.add({ server: 'graph', endpoint: '/v1.0/users*', count: 2, action: { kind: 'status', status: 503 } });
    emulator.control.faults.add({
      server: 'graph',
      endpoint: '/v1.0/deviceManagement/managedDevices*',
      count: 1,
      action: { kind: 'drop' },
    });
    const { run } = await syncAll();
    expect(run.status).not.toBe('failed');
    const ids = (await contacts()).map((c) => c.microsoft_user_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('changes nothing for a resource Graph keeps failing, and logs it', async () => {
    await syncAll();
    const before = await ctx.database.db.selectFrom('configurations').select(['id', 'in_microsoft', 'updated_at']).orderBy('id').execute();
    emulator.control.faults.add({
      server: 'graph',
      endpoint: '/v1.0/deviceManagement/managedDevices*',
      action: { kind: 'status', status: 503 },
    });
    const { runId, run } = await syncAll();
    expect(run.status).toBe('partial');
    const after = await ctx.database.db.selectFrom('configurations').select(['id', 'in_microsoft', 'updated_at']).orderBy('id').execute();
    expect(after).toEqual(before);
    const lines = await readSyncLog(ctx.database.db, runId);
    expect(lines.some((l) => l.code === 'devices_not_synced' && l.level === 'warning')).toBe(true);
  });

  it('finishes the other tenants when one fails every call, and names it', async () => {
    const tenants = await activeTenants();
    const broken = tenants[1]!;
    emulator.control.faults.add({ server: 'graph', tenant: broken.microsoft_tenant_id, action: { kind: 'status', status: 503 } });
    const { runId, run, children } = await syncAll();
    expect(run.status).toBe('partial');
    const failed = children.filter((c) => c.status === 'failed');
    expect(failed.map((c) => c.tenant_id)).toEqual([broken.id]);
    expect(children.filter((c) => c.status === 'succeeded' || c.status === 'partial')).toHaveLength(tenants.length - 1);
    const errors = (await readSyncLog(ctx.database.db, runId)).filter((l) => l.level === 'error');
    expect(errors.map((l) => l.tenant_id)).toEqual([broken.id]);
    expect(errors[0]!.message).toContain(broken.display_name);
    expect(errors[0]!.action).toBeTruthy();
    const health = await ctx.database.db.selectFrom('tenants').select('health').where('id', '=', broken.id).executeTakeFirstOrThrow();
    expect(health.health).toBe('failing');
  });

  it('stops the run and asks for a reconnect when the partner sign-in is revoked mid-run, deleting nothing', async () => {
    await syncAll();
    const before = await contacts();
    // A fresh process (no cached access tokens); the partner's sessions are revoked after the first tenant.
    const process = newProcess();
    let finished = 0;
    const { runId, run, children } = await syncAll({
      process,
      onTenantFinished: () => {
        if (++finished === 1) emulator.control.revokeRefreshTokens();
      },
    });
    expect(run.status).toBe('partial');
    expect(children.filter((c) => c.status === 'cancelled').length).toBeGreaterThan(0);
    const integration = await ctx.database.db
      .selectFrom('integrations')
      .select(['status'])
      .where('id', '=', integrationId)
      .executeTakeFirstOrThrow();
    expect(integration.status).toBe('needs_reconnect');
    const stopped = (await readSyncLog(ctx.database.db, runId)).find((l) => l.code === 'run_stopped')!;
    expect(stopped.action).toBeTruthy();
    expect(await contacts()).toEqual(before);
  });
});
