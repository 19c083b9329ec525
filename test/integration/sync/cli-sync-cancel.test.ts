// Ctrl-C on `docsync sync` as an operator presses it: a real process against a Postgres database
// and the emulator, whose users listing is held (a delay fault) so the signal lands while a
// tenant is being synced. The first SIGINT cancels the run — the tenant in flight and the queued
// ones end "cancelled", the tenant already synced keeps what it wrote, exit code 130 — and the
// next `docsync sync` syncs the cancelled tenants as usual. A second SIGINT quits at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { childRuns } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import {
  childSettings,
  connectEmulatedPartner,
  docsyncEnv,
  explained,
  runDocsync,
  startDocsync,
  until,
  type DocsyncProcess,
} from './cli-harness.ts';

/** How long the emulator holds each users listing: long enough for the signal to land in it. */
const HOLD_MS = 2_500;
const STOPPING = 'docsync sync: stopping — cancelling the run (press Ctrl-C again to quit at once)';

describe('docsync sync stopped with Ctrl-C (process)', () => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;
  const processes: DocsyncProcess[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 47, customers: 3, usersPerTenant: 8, autoConsent: true });
    ctx = await createTestContext('postgres', {
      config: { microsoft: { authorityHost: emulator.urls.authorityHost, graphBaseUrl: emulator.urls.graphBaseUrl } },
    });
    await connectEmulatedPartner(ctx, emulator);
    // One tenant at a time, so one is synced, one is in flight and one still queued at the signal.
    // One tenant at a time, for good: the adaptive limit would otherwise grow past 1 (sync.maxConcurrency).
    env = docsyncEnv({
      ...childSettings(ctx, emulator, ctx.database.url!),
      DOCSYNC_SYNC_CONCURRENCY: 1,
      DOCSYNC_SYNC_MAX_CONCURRENCY: 1,
      DOCSYNC_LOG_LEVEL: 'warn',
    });
  });
  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await ctx?.close();
    await emulator?.close();
  });

  const db = () => ctx.database.db;
  const contactsOf = (tenantId: string) =>
    db().selectFrom('contacts').select(['id', 'microsoft_user_id', 'updated_at']).where('tenant_id', '=', tenantId).orderBy('id').execute();
  const allContacts = () => db().selectFrom('contacts').select(['tenant_id', 'microsoft_user_id']).execute();
  const unfinished = () => db().selectFrom('sync_runs').select(['id', 'status']).where('status', 'in', ['queued', 'running']).execute();
  const latestCliRun = () =>
    db()
      .selectFrom('sync_runs')
      .selectAll()
      .where('trigger', '=', 'cli')
      .where('tenant_id', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();

  function start(args: string[]): DocsyncProcess {
    const p = startDocsync(args, env);
    processes.push(p);
    return p;
  }

  it('cancels the run on the first Ctrl-C, keeps what finished tenants wrote, exits 130, and the next sync completes', async () => {
    const hold = emulator.control.faults.add({ server: 'graph', endpoint: '/v1.0/users', action: { kind: 'delay', ms: HOLD_MS } });
    const cli = start(['sync']);
    // The second listing held: the first tenant is synced, the second is being read from
    // Microsoft, the third waits in the queue.
    const { parentId, synced, inFlight } = await explained(
      until('one tenant synced and the next one being listed', async () => {
        const parent = await latestCliRun();
        if (!parent) return undefined;
        const children = await childRuns(db(), parent.id);
        const done = children.filter((c) => c.status === 'succeeded' || c.status === 'partial');
        const listing = children.find((c) => c.status === 'running' && c.phase === 'users');
        const fired = emulator.control.faults.list().find((r) => r.id === hold.id)?.fired ?? 0;
        return done.length === 1 && listing && fired === 2 ? { parentId: parent.id, synced: done[0]!, inFlight: listing } : undefined;
      }),
      cli,
    );
    const syncedContacts = await contactsOf(synced.tenant_id!);
    expect(syncedContacts.length).toBeGreaterThan(0);

    cli.child.kill('SIGINT');
    expect(await explained(cli.exited, cli)).toBe(130);
    emulator.control.faults.clear();

    expect(
      cli
        .stderr()
        .split('\n')
        .filter((line) => line === STOPPING),
    ).toHaveLength(1);
    // The tenant that finished may be partial (the wait above accepts either): the summary says so.
    expect(cli.stdout(), cli.stdout()).toMatch(
      /^sync cancelled \(3 tenants\): .* — 1 of 3 tenants synced( \(1 partial\))?, 2 cancelled\n$/,
    );

    const parent = (await latestCliRun())!;
    expect(parent).toMatchObject({ id: parentId, status: 'cancelled', lease_owner: null, progress_done: 3, progress_total: 3 });
    expect(parent.finished_at).not.toBeNull();
    const children = await childRuns(db(), parentId);
    expect(children.map((c) => c.status).sort()).toEqual(['cancelled', 'cancelled', synced.status].sort());
    for (const child of children.filter((c) => c.id !== synced.id)) {
      expect(child).toMatchObject({ status: 'cancelled', error_code: 'cancelled', lease_owner: null, created: 0, updated: 0 });
      expect(child.finished_at).not.toBeNull();
    }
    expect(await unfinished()).toEqual([]);

    const log = await readSyncLog(db(), parentId);
    const cancelled = log.filter((l) => l.code === 'cancelled');
    const runLine = cancelled.find((l) => l.run_id === parentId);
    expect(runLine).toMatchObject({
      level: 'warning',
      tenant_id: null,
      action: 'run `docsync sync` again or wait for the next scheduled sync',
    });
    expect(runLine!.message).toBe('stopped from the command line (SIGINT); 2 of 3 tenant(s) not synced in this run');
    const tenantLine = cancelled.find((l) => l.run_id === inFlight.id);
    expect(tenantLine).toMatchObject({
      level: 'warning',
      tenant_id: inFlight.tenant_id,
      action: 'run `docsync sync` again or wait for the next scheduled sync',
    });
    expect(tenantLine!.message).toContain('stopped from the command line (SIGINT) before the sync finished');

    // Nothing half-written: the cancelled tenants have no contacts yet, the synced one kept its own.
    for (const child of children.filter((c) => c.id !== synced.id)) expect(await contactsOf(child.tenant_id!)).toEqual([]);
    expect(await contactsOf(synced.tenant_id!)).toEqual(syncedContacts);
    const cancelledTenants = await db()
      .selectFrom('tenants')
      .select('health')
      .where(
        'id',
        'in',
        children.filter((c) => c.id !== synced.id).map((c) => c.tenant_id!),
      )
      .execute();
    expect(cancelledTenants.map((t) => t.health)).not.toContain('failing');

    const again = await runDocsync(['sync'], env);
    expect(again, again.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(/^sync (succeeded|partial) \(3 tenants\): /);
    const rerun = (await latestCliRun())!;
    expect(rerun.id).not.toBe(parentId);
    expect((await childRuns(db(), rerun.id)).every((c) => c.status === 'succeeded' || c.status === 'partial')).toBe(true);
    for (const child of children) expect((await contactsOf(child.tenant_id!)).length).toBeGreaterThan(0);
    expect((await contactsOf(synced.tenant_id!)).map((c) => c.id)).toEqual(syncedContacts.map((c) => c.id));
    const contacts = await allContacts();
    expect(new Set(contacts.map((c) => `${c.tenant_id} ${c.microsoft_user_id}`)).size).toBe(contacts.length);
    expect(await unfinished()).toEqual([]);
  }, 60_000);

  it('quits at once on a second Ctrl-C, leaving the tenant in flight to its lease', async () => {
    const tenant = await db().selectFrom('tenants').select(['id', 'microsoft_tenant_id']).orderBy('display_name').executeTakeFirstOrThrow();
    // Held far longer than the test waits: only quitting at once lets the process end.
    const hold = emulator.control.faults.add({
      server: 'graph',
      tenant: tenant.microsoft_tenant_id,
      endpoint: '/v1.0/$batch',
      count: 1,
      action: { kind: 'delay', ms: 20_000 },
    });
    const cli = start(['sync', '--tenant', tenant.microsoft_tenant_id]);
    await explained(
      until('the tenant being read from Microsoft', async () => {
        const run = await db()
          .selectFrom('sync_runs')
          .selectAll()
          .where('tenant_id', '=', tenant.id)
          .where('status', '=', 'running')
          .executeTakeFirst();
        const held = !emulator.control.faults.list().some((r) => r.id === hold.id);
        return run && held;
      }),
      cli,
    );
    // The first Ctrl-C ends the held request at once; holding the run's row keeps the cancelled
    // tenant from writing its end, so the second Ctrl-C finds it still in flight.
    let release: () => void = () => {};
    let locked: () => void = () => {};
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = db()
      .transaction()
      .execute(async (trx) => {
        await trx
          .selectFrom('sync_runs')
          .select('id')
          .where('tenant_id', '=', tenant.id)
          .where('status', '=', 'running')
          .forUpdate()
          .execute();
        locked();
        await new Promise<void>((resolve) => (release = resolve));
      });
    await isLocked;
    cli.child.kill('SIGINT');
    await cli.waitForOutput(/docsync sync: stopping/);
    cli.child.kill('SIGINT');
    const code = await explained(cli.exited, cli);
    release();
    await holding;
    expect(code).toBe(130);
    expect(cli.stdout()).toBe('');
    const runs = await db()
      .selectFrom('sync_runs')
      .select(['status', 'lease_owner'])
      .where('tenant_id', '=', tenant.id)
      .where('status', '=', 'running')
      .execute();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.lease_owner).toContain(`:${cli.pid}:`);
  }, 60_000);
});
