// Issue 18, fewer rows per user: the contacts and configurations the sync creates say so
// ("created by the sync") wherever a technician reads a decision — the users and devices lists,
// a user's page, undo — though the sync no longer stores a decision row for each of them
// (effective_match_decisions, migration 2026-12-05T0100).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, startWebWorld, type WebWorld } from './support.ts';
import { syncTenant } from '../../../src/sync/tenant-sync.ts';
import { enqueueTenantRun, finishRun } from '../../../src/sync/runs.ts';
import type { Integration, Tenant } from '../../../src/db/schema.ts';
import { contosoData, fakeSource, type FakeTenantData } from '../sync/records.ts';
import { insertContosoTenantWithOrganization } from '../sync/fixtures.ts';

const CREATED_REASON = 'Created from this Microsoft user by the sync.';

describe.each(DATABASE_KINDS)('decisions of what the sync created, on %s', (kind) => {
  let world: WebWorld;
  let integration: Integration;
  let tenant: Tenant;
  let organizationId: string;
  let data: FakeTenantData;

  beforeAll(async () => {
    world = await startWebWorld(kind);
  });
  afterAll(async () => {
    await world?.close();
  });

  beforeEach(async () => {
    ({ integration, tenant, organizationId } = await insertContosoTenantWithOrganization(world.ctx.database.db));
    data = contosoData();
  });

  async function sync() {
    const db = world.ctx.database.db;
    const now = world.clock.now();
    const fresh = await db.selectFrom('tenants').selectAll().where('id', '=', tenant.id).executeTakeFirstOrThrow();
    const runId = await enqueueTenantRun(db, { integrationId: integration.id, tenantId: tenant.id, trigger: 'cli', now });
    await db.updateTable('sync_runs').set({ status: 'running', started_at: now }).where('id', '=', runId).execute();
    const result = await syncTenant(
      { db, log: world.ctx.log, clock: world.clock, config: world.ctx.config },
      { runId, tenant: fresh, integration, source: fakeSource(data), fullListing: true },
    );
    const counts = { ...result.writes, flagged: result.flagged, failed: 0, graphRequests: 0, throttled: 0 };
    await finishRun(db, runId, { status: result.status, now, counts });
    return result;
  }

  const storedRows = () =>
    world.ctx.database.db
      .selectFrom('match_decisions')
      .select(['kind', 'source_id', 'state', 'rule'])
      .where('tenant_id', '=', tenant.id)
      .orderBy('kind')
      .orderBy('source_id')
      .execute();
  const contactOf = (userId: string) =>
    world.ctx.database.db
      .selectFrom('contacts')
      .select(['id'])
      .where('tenant_id', '=', tenant.id)
      .where('microsoft_user_id', '=', userId)
      .executeTakeFirstOrThrow();

  it('shows the users and devices the first sync documented as created by the sync, storing no row for each', async () => {
    const first = await sync();
    expect(first.writes.created).toBe(3); // two members and one device; the guest is skipped
    const member = data.users.find((u) => u.givenName === 'Adele')!;
    const device = data.devices[0]!;

    const users = await call(world, 'technician', 'GET', `/api/tenants/${tenant.id}/users`);
    expect(users.statusCode).toBe(200);
    const adele = (users.json().items as Array<Record<string, unknown>>).find((u) => u.userId === member.id)!;
    expect(adele).toMatchObject({ decision: 'match', rule: 'created', reason: CREATED_REASON, decidedByTechnician: false });
    expect((adele.contact as { id: string }).id).toBe((await contactOf(member.id)).id);
    const detail = await call(world, 'technician', 'GET', `/api/tenants/${tenant.id}/users/${member.id}`);
    expect(detail.json()).toMatchObject({ decision: 'match', rule: 'created', reason: CREATED_REASON });
    const devices = await call(world, 'technician', 'GET', `/api/tenants/${tenant.id}/devices`);
    const laptop = (devices.json().items as Array<Record<string, unknown>>).find((d) => d.deviceId === device.id)!;
    expect(laptop).toMatchObject({ decision: 'match', rule: 'created' });
    expect(laptop.configuration).not.toBeNull();

    // Stored: the organization's decision and the skipped guest's, not one row per created contact or configuration.
    const stored = await storedRows();
    expect(stored.filter((r) => r.rule === 'created' && r.kind !== 'organization')).toEqual([]);
    expect(stored.some((r) => r.kind === 'contact' && r.state === 'skip')).toBe(true);

    // The next sync derives "linked" to the same contacts: nothing to write, and the lists still say "created".
    const again = await sync();
    expect(again.writes).toMatchObject({ created: 0, updated: 0 });
    expect(await storedRows()).toEqual(stored);
    const after = await call(world, 'technician', 'GET', `/api/tenants/${tenant.id}/users`);
    expect((after.json().items as Array<Record<string, unknown>>).find((u) => u.userId === member.id)).toMatchObject({
      decision: 'match',
      rule: 'created',
    });
  });

  it("stores a technician's decision over what the sync created, and undo restores the sync's", async () => {
    await sync();
    const member = data.users.find((u) => u.givenName === 'Adele')!;
    const created = await contactOf(member.id);
    const handMade = await world.ctx.database.db
      .insertInto('contacts')
      .values({ organization_id: organizationId, first_name: 'Adele', last_name: 'Vance (front desk)' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const url = `/api/tenants/${tenant.id}/users/${member.id}/decision`;

    const decided = await call(world, 'technician', 'POST', url, { action: 'match', contactId: handMade.id });
    expect(decided.statusCode).toBe(200);
    const detail = await call(world, 'technician', 'GET', `/api/tenants/${tenant.id}/users/${member.id}`);
    expect(detail.json()).toMatchObject({ decision: 'match', rule: 'technician', decidedByTechnician: true });

    const undone = await call(world, 'technician', 'POST', url, { action: 'undo' });
    expect(undone.statusCode).toBe(200);
    expect(undone.json().decision).toMatchObject({ state: 'match', targetId: created.id, rule: 'created', decidedByTechnician: false });
  });
});
