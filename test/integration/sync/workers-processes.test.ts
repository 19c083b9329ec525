// `docsync worker` as real processes sharing one Postgres queue, against the emulator:
//  - a worker killed with SIGKILL while it syncs a tenant: once its lease has run out another
//    worker picks the tenant up and finishes it, with no duplicate contacts;
//  - two workers and manual triggers (the UI's queued row and `docsync sync --tenant`) racing for
//    one tenant: Microsoft never sees two processes syncing that tenant at the same time.
// "At the same time" is observed from Microsoft's side (the emulator), not from docsync's own
// bookkeeping.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { enqueueIntegrationRun, enqueueTenantRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { childSettings, connectEmulatedPartner, docsyncEnv, explained, startDocsync, until, type DocsyncProcess } from './cli-harness.ts';

const LEASE_SECONDS = 4;

/** Every Graph call the emulator accepts, with the tenant and the access token it came with.
 *  Each process holds its own token per tenant, so two tokens are two processes. */
function watchGraphCallers(emulator: RunningEmulator): Array<{ at: number; tenantId: string; token: string }> {
  const calls: Array<{ at: number; tenantId: string; token: string }> = [];
  const verify = emulator.tokens.verifyAccessToken.bind(emulator.tokens);
  emulator.tokens.verifyAccessToken = (header) => {
    const caller = verify(header);
    calls.push({ at: performance.now(), tenantId: caller.tenantId, token: header ?? '' });
    return caller;
  };
  return calls;
}

describe('docsync worker processes', () => {
  let emulator: RunningEmulator;
  let graphCalls: ReturnType<typeof watchGraphCallers>;
  let ctx: TestContext;
  let integrationId: string;
  let env: NodeJS.ProcessEnv;
  const workers: DocsyncProcess[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 51, customers: 3, usersPerTenant: 8, autoConsent: true });
    graphCalls = watchGraphCallers(emulator);
    ctx = await createTestContext('postgres', {
      config: { microsoft: { authorityHost: emulator.urls.authorityHost, graphBaseUrl: emulator.urls.graphBaseUrl } },
    });
    integrationId = await connectEmulatedPartner(ctx, emulator);
    env = docsyncEnv({
      ...childSettings(ctx, emulator, ctx.database.url!),
      DOCSYNC_SYNC_LEASE_SECONDS: LEASE_SECONDS,
      DOCSYNC_SYNC_CONCURRENCY: 2,
      DOCSYNC_LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await ctx?.close();
    await emulator?.close();
  });

  /** Starts `docsync worker` and resolves once it says it is taking work. */
  async function startWorker(): Promise<DocsyncProcess> {
    const worker = startDocsync(['worker'], env);
    workers.push(worker);
    await worker.waitForOutput(/docsync worker started/);
    return worker;
  }

  const db = () => ctx.database.db;
  const tenantNamed = (name: string) =>
    db()
      .selectFrom('tenants')
      .select(['id', 'microsoft_tenant_id', 'display_name'])
      .where('display_name', '=', name)
      .executeTakeFirstOrThrow();
  const contactsOf = (tenantId: string) =>
    db().selectFrom('contacts').select(['id', 'microsoft_user_id', 'last_name']).where('tenant_id', '=', tenantId).orderBy('id').execute();
  const runRow = (runId: string) => db().selectFrom('sync_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
  const expectNoDuplicates = (rows: Array<{ microsoft_user_id: string | null }>) => {
    const ids = rows.map((r) => r.microsoft_user_id);
    expect(new Set(ids).size).toBe(ids.length);
  };

  it('picks a tenant up again after its worker is killed with SIGKILL mid-sync, without duplicate contacts', async () => {
    const victim = await tenantNamed('Contoso, Ltd.');
    // The emulator holds the tenant's first Graph call, so the kill lands while the tenant is
    // being synced (claimed, leased, Microsoft being read).
    const hold = emulator.control.faults.add({
      server: 'graph',
      tenant: victim.microsoft_tenant_id,
      count: 1,
      action: { kind: 'delay', ms: 60_000 },
    });
    const runId = await enqueueTenantRun(db(), { integrationId, tenantId: victim.id, trigger: 'manual', now: new Date() });
    const doomed = await startWorker();
    await explained(
      until('the first worker to be syncing the tenant', async () => {
        const held = !emulator.control.faults.list().some((rule) => rule.id === hold.id);
        const run = await runRow(runId);
        return held && run.status === 'running' && run.lease_owner?.includes(`:${doomed.pid}:`);
      }),
      doomed,
    );

    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toBe('SIGKILL');
    const orphaned = await runRow(runId);
    expect(orphaned.status).toBe('running');
    const leaseEnd = orphaned.lease_expires_at!;

    const survivor = await startWorker();
    const finished = await explained(
      until(
        'the tenant to be synced by the second worker',
        async () => {
          const run = await runRow(runId);
          return run.status !== 'running' && run.status !== 'queued' ? run : undefined;
        },
        45_000,
      ),
      survivor,
    );
    expect(finished).toMatchObject({ status: 'succeeded', attempts: 2, lease_owner: null });

    const lines = await readSyncLog(db(), runId);
    const lost = lines.find((l) => l.code === 'worker_lost')!;
    expect(lost.message).toContain(`:${doomed.pid}:`);
    expect(lost.message).toContain('queued again');
    // Not taken from the dead worker before its lease ran out.
    expect(new Date(lost.created_at).getTime()).toBeGreaterThanOrEqual(new Date(leaseEnd).getTime());
    expect(lines.some((l) => l.code === 'tenant_synced')).toBe(true);

    const contacts = await contactsOf(victim.id);
    expect(contacts.length).toBeGreaterThan(0);
    expect(finished.created).toBeGreaterThanOrEqual(contacts.length);
    expectNoDuplicates(contacts);
    expect(survivor.child.exitCode).toBeNull();
  });

  it('never lets two workers and a manual trigger sync one tenant at once', async () => {
    const tenant = await tenantNamed('Fabrikam, Inc.');
    while (workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length < 2) await startWorker();
    // Documented once before the race, so what the race adds is plain to see.
    const first = await enqueueTenantRun(db(), { integrationId, tenantId: tenant.id, trigger: 'manual', now: new Date() });
    await explained(
      until('the first sync of the tenant', async () => ['succeeded', 'partial'].includes((await runRow(first)).status), 30_000),
      ...workers,
    );
    const documented = await contactsOf(tenant.id);
    expect(documented.length).toBeGreaterThan(0);

    emulator.world.addUser(tenant.microsoft_tenant_id, { displayName: 'Rae Race', givenName: 'Rae', surname: 'Race' });
    // The emulator holds every Graph call for this tenant HOLD_MS before answering it. One sync
    // after another: a process's first call is held HOLD_MS after the previous sync's last call
    // was answered. Two syncs at once: calls of two processes are held at the same moment.
    const HOLD_MS = 800;
    emulator.control.faults.add({ server: 'graph', tenant: tenant.microsoft_tenant_id, action: { kind: 'delay', ms: HOLD_MS } });
    const earlier = (await db().selectFrom('sync_runs').select('id').where('tenant_id', '=', tenant.id).execute()).map((r) => r.id);
    const watchedFrom = graphCalls.length;

    // The workers stop on SIGTERM (finishing what they hold), so that an operator's
    // `docsync sync --tenant` surely gets there first; while it syncs, two fresh workers start,
    // and the schedule and the UI's "sync now" queue the same tenant.
    const running = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    for (const w of running) w.child.kill('SIGTERM');
    expect(await explained(Promise.all(running.map((w) => w.exited)), ...running)).toEqual(running.map(() => 0));
    const cli = startDocsync(['sync', '--tenant', tenant.microsoft_tenant_id], env);
    workers.push(cli);
    await explained(
      until('the CLI to be syncing the tenant', async () => {
        const rows = await db()
          .selectFrom('sync_runs')
          .selectAll()
          .where('tenant_id', '=', tenant.id)
          .where('trigger', '=', 'cli')
          .where('status', '=', 'running')
          .execute();
        return rows.some((r) => r.lease_owner?.includes(`:${cli.pid}:`));
      }),
      cli,
    );
    await Promise.all([startWorker(), startWorker()]);
    await enqueueIntegrationRun(db(), { integrationId, trigger: 'schedule', now: new Date() });
    await enqueueTenantRun(db(), { integrationId, tenantId: tenant.id, trigger: 'manual', now: new Date() });
    expect(await explained(cli.exited, cli)).toBe(0);
    expect(cli.stdout()).toMatch(/^sync (succeeded|partial) \(tenant\)/);
    const runs = await explained(
      until(
        'every run of the tenant to finish',
        async () => {
          const rows = await db()
            .selectFrom('sync_runs')
            .selectAll()
            .where('tenant_id', '=', tenant.id)
            .where('id', 'not in', earlier)
            .execute();
          return rows.length === 3 && rows.every((r) => r.status !== 'queued' && r.status !== 'running') ? rows : undefined;
        },
        45_000,
      ),
      ...workers,
    );
    emulator.control.faults.clear();

    expect(runs.map((r) => r.trigger).sort()).toEqual(['cli', 'manual', 'schedule']);
    expect(runs.every((r) => r.status === 'succeeded' || r.status === 'partial')).toBe(true);
    const calls = graphCalls.slice(watchedFrom).filter((c) => c.tenantId === tenant.microsoft_tenant_id);
    expect(new Set(calls.map((c) => c.token)).size).toBeGreaterThanOrEqual(2);
    const overlapping = calls.filter((c, i) => calls.slice(0, i).some((d) => d.token !== c.token && c.at - d.at < HOLD_MS - 50));
    expect(overlapping).toEqual([]);
    // The new user became exactly one contact, created by exactly one of the three runs.
    const contacts = await contactsOf(tenant.id);
    expectNoDuplicates(contacts);
    expect(contacts.filter((c) => c.last_name === 'Race')).toHaveLength(1);
    expect(contacts).toHaveLength(documented.length + 1);
    expect(runs.map((r) => [r.trigger, r.created]).sort()).toEqual([
      ['cli', 1],
      ['manual', 0],
      ['schedule', 0],
    ]);
  });
});
