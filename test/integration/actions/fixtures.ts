// The world the action tests start from: an emulator whose first customer granted docsync the
// write scopes and the given GDAP roles, a connected integration, the customer documented as an
// organization, one finished sync, and actions turned on for the integration.
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import type { DatabaseKind } from '../../../src/db/database.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { actionDepsFor } from '../../../src/actions/wiring.ts';
import { WRITE_SCOPES } from '../../../src/actions/roles.ts';
import type { ActionDeps } from '../../../src/actions/engine.ts';
import type { Clock, Sleep } from '../../../src/time.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from '../sync/fixtures.ts';

export interface ActionsWorld {
  emulator: RunningEmulator;
  ctx: TestContext;
  microsoft: SyncMicrosoft;
  deps: ActionDeps;
  integrationId: string;
  /** The first customer: docsync's row id and Microsoft's tenant GUID. */
  tenant: { id: string; tenantId: string };
  organizationId: string;
}

export async function startActionsWorld(
  kind: DatabaseKind,
  options: { seed: number; customers: number; usersPerTenant: number; roles: string[]; clock: Clock; sleep: Sleep },
): Promise<ActionsWorld> {
  const { clock } = options;
  const emulator = await startEmulator({
    seed: options.seed,
    customers: options.customers,
    usersPerTenant: options.usersPerTenant,
    autoConsent: true,
    clock,
  });
  const ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
  const microsoft = createSyncMicrosoft(ctx, { sleep: options.sleep });
  const customer = emulator.world.customers()[0]!;
  emulator.world.grantDelegatedScopes(customer.tenantId, [...WRITE_SCOPES]);
  emulator.world.setAccessRoles(customer.tenantId, options.roles);
  const integrationId = await connectIntegrationToEmulator(microsoft, emulator);
  const db = ctx.database.db;
  const row = await db
    .selectFrom('tenants')
    .select(['id', 'microsoft_tenant_id', 'domains'])
    .where('microsoft_tenant_id', '=', customer.tenantId)
    .executeTakeFirstOrThrow();
  const organization = await db
    .insertInto('organizations')
    .values({ name: customer.displayName, domains: row.domains as string[] })
    .returning('id')
    .executeTakeFirstOrThrow();
  const runId = await enqueueIntegrationRun(db, { integrationId, trigger: 'manual', now: clock.now() });
  await createSyncWorker(microsoft.runner, { concurrency: 2 }).drain({ runId });
  await db
    .updateTable('integrations')
    .set({ settings: JSON.stringify({ actions: { enabled: true } }) })
    .where('id', '=', integrationId)
    .execute();
  return {
    emulator,
    ctx,
    microsoft,
    deps: actionDepsFor(ctx, microsoft),
    integrationId,
    tenant: { id: row.id, tenantId: row.microsoft_tenant_id },
    organizationId: organization.id,
  };
}
