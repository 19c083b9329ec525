// /domains needs Domain.Read.All or Directory.Read.All (Organization.Read.All is not enough, G:org).
// A tenant that consented docsync's app before it asked for Domain.Read.All answers /domains with
// 403: the tenant still syncs, on organization.verifiedDomains, and the log says what to consent.
// Real MSAL and Graph client against the emulator (which enforces the permission), both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { DOCSYNC_APP_PERMISSIONS } from '../../../src/emulator/world/catalog.ts';
import { GRAPH_APPLICATION_PERMISSIONS, GRAPH_DELEGATED_SCOPES } from '../../../src/microsoft/scopes.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from './fixtures.ts';

describe('Domain.Read.All', () => {
  it('is among the delegated scopes and the application permissions docsync asks for', () => {
    expect(GRAPH_DELEGATED_SCOPES.map((s) => s.scope)).toContain('Domain.Read.All');
    expect(GRAPH_APPLICATION_PERMISSIONS).toContain('Domain.Read.All');
  });
});

describe.each(DATABASE_KINDS)('a tenant that refuses /domains, on %s', (kind) => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 31, customers: 1, usersPerTenant: 10, autoConsent: true, clock });
    ctx = await createTestContext(kind, { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
  });
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  it('syncs on the verified domains of /organization and says which permission to consent', async () => {
    const customer = emulator.world.customers()[0]!;
    emulator.world.setConsentedPermissions(
      customer.tenantId,
      DOCSYNC_APP_PERMISSIONS.filter((p) => p !== 'Domain.Read.All' && p !== 'Directory.Read.All'),
    );
    const integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 1 }).drain({ runId });

    const children = await childRuns(ctx.database.db, runId);
    expect(children).toHaveLength(1);
    expect(children[0]!.status).not.toBe('failed');
    const log = await readSyncLog(ctx.database.db, runId);
    const line = log.find((l) => l.code === 'domains_from_organization');
    expect(line?.message).toMatch(/Authorization_RequestDenied/);
    expect(line?.action).toMatch(/Domain\.Read\.All/);
    const verified = emulator.world
      .organization(customer.tenantId)!
      .verifiedDomains.map((d) => d.name.toLowerCase())
      .sort();
    const tenant = await ctx.database.db
      .selectFrom('tenants')
      .select('domains')
      .where('microsoft_tenant_id', '=', customer.tenantId)
      .executeTakeFirstOrThrow();
    expect([...(tenant.domains as string[])].sort()).toEqual(verified);
  });
});
