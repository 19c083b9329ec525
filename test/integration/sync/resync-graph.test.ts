// The sync through the real Graph client against the emulator: it reads each tenant with the
// fewest requests Graph allows (one $batch for the small reads, listings at their largest
// pages), and a re-sync with nothing changed in Microsoft asks for little and writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { createSyncMicrosoft, type SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import { createSyncWorker } from '../../../src/sync/worker.ts';
import { childRuns, enqueueIntegrationRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { connectIntegrationToEmulator, emulatorAsMicrosoft } from './fixtures.ts';

describe('sync against the emulator: requests and re-sync', () => {
  let emulator: RunningEmulator;
  let ctx: TestContext;
  let now = Date.parse('2026-11-23T12:00:00Z');
  const clock = { now: () => new Date(now) };
  let microsoft: SyncMicrosoft;
  let integrationId: string;

  beforeAll(async () => {
    // 620 users: two pages with signInActivity (500 a page), one without (999 a page).
    // One clock for docsync and the emulator: sign-in dates (and so who turns inactive when) are
    // the same every run of this test.
    emulator = await startEmulator({ seed: 5, customers: 4, usersPerTenant: 620, autoConsent: true, clock });
    ctx = await createTestContext('pglite', { config: emulatorAsMicrosoft(emulator), overrides: { clock } });
    microsoft = createSyncMicrosoft(ctx, { sleep: async (ms) => void (now += ms) });
    integrationId = await connectIntegrationToEmulator(microsoft, emulator);
    await documentOrganizations();
  });

  /** The MSP's documentation already has an organization per customer, found by verified domain. */
  async function documentOrganizations() {
    const tenants = await ctx.database.db
      .selectFrom('tenants')
      .select(['domains'])
      .where('active', '=', true)
      .orderBy('microsoft_tenant_id')
      .execute();
    for (const [i, t] of tenants.entries()) {
      await ctx.database.db
        .insertInto('organizations')
        .values({ name: `Customer ${i + 1}`, domains: t.domains as string[] })
        .execute();
    }
  }
  afterAll(async () => {
    await ctx?.close();
    await emulator?.close();
  });

  async function syncAll() {
    const runId = await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'manual', now: clock.now() });
    await createSyncWorker(microsoft.runner, { concurrency: 2 }).drain({ runId });
    const children = await childRuns(ctx.database.db, runId);
    const log = await readSyncLog(ctx.database.db, runId);
    return { children, log };
  }

  /** The pages a tenant's data needs: what no client could read with fewer requests. */
  function pagesNeeded(tenantId: string, signIn: boolean, reports: boolean, devicesRead: boolean) {
    const world = emulator.world;
    const users = Math.max(1, Math.ceil(world.userCount(tenantId) / (signIn ? 500 : 999)));
    // Intune pages at 1,000; the first page can travel in the batch.
    const devices = devicesRead ? Math.ceil(world.deviceSlotCount(tenantId) / 1000) - 1 : 0;
    // One $batch for organization, domains, subscribedSkus, reportSettings, the change feed and
    // the first devices page; each usage report (mailbox usage, active users, email activity) is a
    // 302 to a download: two requests each.
    return 1 + users + Math.max(0, devices) + (reports ? 6 : 0);
  }

  async function documentationState() {
    const state = await sql<{ digest: string }>`select
        (select md5(coalesce(string_agg(id::text || updated_at::text, ',' order by id), '')) from contacts)
        || (select md5(coalesce(string_agg(id::text || updated_at::text, ',' order by id), '')) from configurations)
        || (select md5(coalesce(string_agg(id::text || updated_at::text || state || coalesce(target_id::text, ''), ',' order by id), ''))
          from match_decisions)
        || (select md5(coalesce(string_agg(id::text || created_at::text, ',' order by id), '')) from contact_emails)
        || (select md5(coalesce(string_agg(user_id || last_seen_at::text || content_hash, ',' order by tenant_id, user_id), '')) from
          ms_users)
        || (select md5(coalesce(string_agg(device_id || last_seen_at::text || content_hash, ',' order by tenant_id, device_id), '')) from
          ms_managed_devices) as digest`.execute(ctx.database.db);
    return state.rows[0]!.digest;
  }

  const microsoftTenantIdOf = async (tenantId: string) =>
    (await ctx.database.db.selectFrom('tenants').select('microsoft_tenant_id').where('id', '=', tenantId).executeTakeFirstOrThrow())
      .microsoft_tenant_id;

  let firstLog: Awaited<ReturnType<typeof syncAll>>['log'] = [];

  it('reads every tenant with the pages it needs and one $batch for the rest', async () => {
    const { children, log } = await syncAll();
    firstLog = log;
    expect(children.length).toBeGreaterThanOrEqual(3);
    for (const run of children) {
      // Some emulated customers deny docsync a resource (a GDAP role missing): those tenants are
      // "partial", and a denied read costs nothing beyond its place in the batch. A customer
      // without Intune is not partial: there is nothing to read, and the log says so.
      const microsoftTenantId = await microsoftTenantIdOf(run.tenant_id!);
      const said = (code: string) => log.some((l) => l.tenant_id === run.tenant_id && l.code === code);
      if (!emulator.world.hasIntune(microsoftTenantId)) {
        expect(said('devices_not_synced')).toBe(false);
        expect(log.find((l) => l.tenant_id === run.tenant_id && l.code === 'devices_not_available')).toMatchObject({
          level: 'info',
          action: expect.stringContaining('Intune'),
        });
      }
      expect(run.status).toBe(
        said('devices_not_synced') ||
          said('mailboxes_not_synced') ||
          said('activity_not_synced') ||
          said('licenses_not_synced') ||
          said('reports_concealed')
          ? 'partial'
          : 'succeeded',
      );
      const signIn = !said('sign_in_activity_unavailable');
      expect(run.graph_requests, `tenant ${microsoftTenantId}`).toBe(
        pagesNeeded(microsoftTenantId, signIn, !said('mailboxes_not_synced') && !said('reports_concealed'), !said('devices_not_synced')),
      );
    }
  });

  it('reads each tenant with one $batch, and writes nothing, when nothing changed', async () => {
    expect(firstLog.length).toBeGreaterThan(0);
    // A minute later: an hour could see a user cross the inactivity threshold, a real change.
    now += 60_000;
    const before = await documentationState();
    const { children, log } = await syncAll();
    for (const run of children) {
      const microsoftTenantId = await microsoftTenantIdOf(run.tenant_id!);
      expect(run.status).not.toBe('failed');
      expect(run.created + run.updated).toBe(0);
      expect(run.graph_requests, `tenant ${microsoftTenantId}`).toBe(1);
      expect(log.find((l) => l.tenant_id === run.tenant_id && l.code === 'tenant_synced')?.message).toContain(
        'nothing changed since the last sync',
      );
    }
    // Every row's id and timestamps, before and after: timestamps the database fills itself
    // (defaults) follow the real clock, not the test's, so compare states instead of times.
    expect(await documentationState()).toEqual(before);
  });

  it('documents a change made in Microsoft on the next run, through the change feed', async () => {
    const run = (
      await childRuns(
        ctx.database.db,
        (
          await ctx.database.db
            .selectFrom('sync_runs')
            .select('id')
            .where('tenant_id', 'is', null)
            .orderBy('created_at', 'desc')
            .executeTakeFirstOrThrow()
        ).id,
      )
    )[0]!;
    const microsoftTenantId = await microsoftTenantIdOf(run.tenant_id!);
    const contact = await ctx.database.db
      .selectFrom('contacts')
      .select(['id', 'microsoft_user_id'])
      .where('tenant_id', '=', run.tenant_id!)
      .where('microsoft_user_id', 'is not', null)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    emulator.world.updateUser(microsoftTenantId, contact.microsoft_user_id!, { jobTitle: 'Chief Emulation Officer' });
    now += 60_000;
    const { children } = await syncAll();
    const again = children.find((c) => c.tenant_id === run.tenant_id)!;
    expect(again.updated).toBe(1);
    const updated = await ctx.database.db.selectFrom('contacts').select('title').where('id', '=', contact.id).executeTakeFirstOrThrow();
    expect(updated.title).toBe('Chief Emulation Officer');
  });
});
