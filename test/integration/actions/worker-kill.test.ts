// A real `docsync worker` process killed with SIGKILL while Microsoft holds one of its action's
// steps: another worker process takes the action over once the lease runs out and finishes it,
// and the emulator's change log shows each Microsoft change made exactly once. Postgres only
// (worker processes share the Postgres queue).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { ROLES } from '../../../src/emulator/world/catalog.ts';
import { getAction, requestAction } from '../../../src/actions/engine.ts';
import { actionDepsFor } from '../../../src/actions/wiring.ts';
import { WRITE_SCOPES } from '../../../src/actions/roles.ts';
import type { Actor } from '../../../src/actions/permission.ts';
import { createSyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import {
  childSettings,
  connectEmulatedPartner,
  docsyncEnv,
  explained,
  startDocsync,
  until,
  type DocsyncProcess,
} from '../sync/cli-harness.ts';

const LEASE_SECONDS = 4;
const HOLD_MS = 3_000; // below LEASE_SECONDS: see the end of the test
const ADMIN: Actor = { id: null, label: 'alice', role: 'administrator', canAct: true };

describe('lifecycle actions in worker processes', () => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let env: NodeJS.ProcessEnv;
  const workers: DocsyncProcess[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 61, customers: 1, usersPerTenant: 8, autoConsent: true });
    const customer = emulator.world.customers()[0]!;
    emulator.world.grantDelegatedScopes(customer.tenantId, [...WRITE_SCOPES]);
    emulator.world.setAccessRoles(customer.tenantId, [
      ROLES.directoryReaders,
      ROLES.globalReader,
      ROLES.userAdministrator,
      ROLES.licenseAdministrator,
    ]);
    ctx = await createTestContext('postgres', {
      config: { microsoft: { authorityHost: emulator.urls.authorityHost, graphBaseUrl: emulator.urls.graphBaseUrl } },
    });
    const integrationId = await connectEmulatedPartner(ctx, emulator);
    await ctx.database.db
      .updateTable('integrations')
      .set({ settings: JSON.stringify({ actions: { enabled: true } }) })
      .where('id', '=', integrationId)
      .execute();
    env = docsyncEnv({
      ...childSettings(ctx, emulator, ctx.database.url!),
      DOCSYNC_SYNC_LEASE_SECONDS: LEASE_SECONDS,
      DOCSYNC_LOG_LEVEL: 'info',
    });
  }, 60_000);
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await ctx?.close();
    await emulator?.close();
  });

  async function startWorker(): Promise<DocsyncProcess> {
    const worker = startDocsync(['worker'], env);
    workers.push(worker);
    await worker.waitForOutput(/docsync worker started/);
    return worker;
  }

  it('finishes an action whose worker process was killed mid-step, each Microsoft change made once', async () => {
    const world = emulator.world;
    const customer = world.customers()[0]!;
    let slot = 1;
    let user = world.userAt(customer.tenantId, slot)!;
    while (!(user.kind === 'member' && user.record.accountEnabled && user.record.assignedLicenses.length > 0))
      user = world.userAt(customer.tenantId, ++slot)!;
    const tenant = await ctx.database.db
      .selectFrom('tenants')
      .select('id')
      .where('microsoft_tenant_id', '=', customer.tenantId)
      .executeTakeFirstOrThrow();
    const deps = actionDepsFor(ctx, createSyncMicrosoft(ctx));
    const action = await requestAction(deps, ADMIN, {
      kind: 'offboard',
      tenantId: tenant.id,
      userIds: [user.record.id],
      input: { steps: ['block_sign_in', 'reset_password', 'remove_licenses'] },
      preview: false,
    });
    const seq = world.changeSequence();
    // Microsoft holds the first write (blocking sign-in), so the kill lands inside that step.
    const hold = emulator.control.faults.add({
      server: 'graph',
      tenant: customer.tenantId,
      method: 'PATCH',
      count: 1,
      action: { kind: 'delay', ms: HOLD_MS },
    });
    const doomed = await startWorker();
    await explained(
      until('the first worker to be inside the held step', async () => {
        const held = !emulator.control.faults.list().some((rule) => rule.id === hold.id);
        const row = await ctx.database.db.selectFrom('actions').select('lease_owner').where('id', '=', action.id).executeTakeFirstOrThrow();
        return held && row.lease_owner?.includes(`:${doomed.pid}:`);
      }),
      doomed,
    );
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toBe('SIGKILL');
    expect((await getAction(ctx.database.db, action.id)).status).toBe('running');

    const survivor = await startWorker();
    const done = await explained(
      until(
        'the second worker to finish the action',
        async () => {
          const a = await getAction(ctx.database.db, action.id);
          return a.status === 'running' || a.status === 'queued' ? undefined : a;
        },
        45_000,
      ),
      survivor,
    );
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s) => [s.name, s.status])).toEqual([
      ['block_sign_in', 'done'],
      ['reset_password', 'done'],
      ['remove_licenses', 'done'],
    ]);
    // The lease (4 s) outlasts the hold (3 s): Microsoft had answered the dead worker's held
    // request before the second worker could claim the action, so its write is counted here too.
    const changes = world.userChangesSince(customer.tenantId, seq).filter((c) => c.userId === user.record.id);
    expect(changes.map((c) => c.properties)).toEqual([['accountEnabled'], ['lastPasswordChangeDateTime'], ['assignedLicenses']]);
    expect(world.userAt(customer.tenantId, slot)!.record.accountEnabled).toBe(false);
  }, 90_000);
});
