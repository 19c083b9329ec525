// Issue 15, "decisions apply at once": a technician's organization or contact decision writes the
// tenant's documentation from the staged Microsoft data in the same request (no Microsoft call),
// exactly as a sync would, so the next sync that finds nothing changed writes nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, startWebWorld, type WebWorld } from './support.ts';
import { syncTenant } from '../../../src/sync/tenant-sync.ts';
import { enqueueTenantRun, finishRun } from '../../../src/sync/runs.ts';
import type { Integration, Tenant } from '../../../src/db/schema.ts';
import { contosoData, fakeSource } from '../sync/records.ts';
import { insertContosoTenantWithOrganization } from '../sync/fixtures.ts';

const ADELE = '6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0';

describe.each(DATABASE_KINDS)('technician decisions applied at once on %s', (kind) => {
  let world: WebWorld;
  let integration: Integration;
  let tenant: Tenant;
  let organizationId: string;
  let source: ReturnType<typeof fakeSource>;

  beforeAll(async () => {
    world = await startWebWorld(kind);
  });
  afterAll(async () => {
    await world?.close();
  });

  beforeEach(async () => {
    const db = world.ctx.database.db;
    ({ integration, tenant, organizationId } = await insertContosoTenantWithOrganization(db));
    // Two organizations called Contoso and no domain: the sync can only suggest, not match.
    await db.updateTable('organizations').set({ name: 'Contoso', domains: [] }).where('id', '=', organizationId).execute();
    await db.insertInto('organizations').values({ name: 'Contoso', domains: [] }).execute();
    source = fakeSource(contosoData());
  });

  async function sync() {
    const db = world.ctx.database.db;
    const now = world.clock.now();
    const fresh = await db.selectFrom('tenants').selectAll().where('id', '=', tenant.id).executeTakeFirstOrThrow();
    const runId = await enqueueTenantRun(db, { integrationId: integration.id, tenantId: tenant.id, trigger: 'cli', now });
    await db.updateTable('sync_runs').set({ status: 'running', started_at: now }).where('id', '=', runId).execute();
    const result = await syncTenant(
      { db, log: world.ctx.log, clock: world.clock, config: world.ctx.config },
      { runId, tenant: fresh, integration, source, fullListing: true },
    );
    const counts = { ...result.writes, flagged: result.flagged, failed: 0, graphRequests: 0, throttled: 0 };
    await finishRun(db, runId, { status: result.status, now, counts });
    return result;
  }

  const contactsOfTenant = () =>
    world.ctx.database.db
      .selectFrom('contacts')
      .select(['id', 'first_name', 'last_name', 'organization_id', 'microsoft_user_id'])
      .where('tenant_id', '=', tenant.id)
      .orderBy('last_name')
      .execute();

  it('writes contacts and configurations the moment the organization is chosen, and the next sync writes nothing', async () => {
    const first = await sync();
    expect(first.writes.created).toBe(0);
    expect(await contactsOfTenant()).toEqual([]);
    const callsBefore = source.calls.length;

    const chosen = await call(world, 'technician', 'POST', `/api/tenants/${tenant.id}/choose`, { organizationId });
    expect(chosen.statusCode).toBe(200);
    expect(chosen.json().applied).toMatchObject({ applied: true, writes: { created: 3, updated: 0 } });
    expect(source.calls.length).toBe(callsBefore); // no Microsoft call
    const contacts = await contactsOfTenant();
    expect(contacts.map((c) => `${c.first_name} ${c.last_name}`)).toEqual(['MOD Administrator', 'Adele Vance']);
    expect(contacts.every((c) => c.organization_id === organizationId)).toBe(true);
    const devices = await world.ctx.database.db.selectFrom('configurations').select('id').where('tenant_id', '=', tenant.id).execute();
    expect(devices).toHaveLength(1);

    const next = await sync();
    expect(next.writes).toMatchObject({ created: 0, updated: 0 });
    expect(next.derived).toBe(false);
  });

  it('documents every tenant a bulk accept matched, at once', async () => {
    await sync();
    const response = await call(world, 'technician', 'POST', '/api/tenants/bulk-accept', { minScore: 0, integrationId: integration.id });
    expect(response.json()).toEqual({ accepted: 1, documented: 1 });
    expect((await contactsOfTenant()).map((c) => c.last_name)).toEqual(['Administrator', 'Vance']);
  });

  it('links a user to the contact a technician chose at once', async () => {
    await sync();
    await call(world, 'technician', 'POST', `/api/tenants/${tenant.id}/choose`, { organizationId });
    const handMade = await world.ctx.database.db
      .insertInto('contacts')
      .values({ organization_id: organizationId, first_name: 'Adele', last_name: 'Vance (front desk)' })
      .returning('id')
      .executeTakeFirstOrThrow();

    const decided = await call(world, 'technician', 'POST', `/api/tenants/${tenant.id}/users/${ADELE}/decision`, {
      action: 'match',
      contactId: handMade.id,
    });
    expect(decided.statusCode).toBe(200);
    expect(decided.json().applied).toMatchObject({ applied: true });
    const linked = await world.ctx.database.db
      .selectFrom('contacts')
      .select(['microsoft_user_id', 'tenant_id'])
      .where('id', '=', handMade.id)
      .executeTakeFirstOrThrow();
    expect(linked).toEqual({ microsoft_user_id: ADELE, tenant_id: tenant.id });

    const next = await sync();
    expect(next.writes).toMatchObject({ created: 0, updated: 0 });
  });

  it('saves the decision but leaves the writing to a sync of the tenant that is running', async () => {
    await sync();
    const db = world.ctx.database.db;
    await db
      .insertInto('sync_runs')
      .values({ integration_id: integration.id, tenant_id: tenant.id, trigger: 'manual', status: 'running', started_at: world.clock.now() })
      .execute();
    const chosen = await call(world, 'technician', 'POST', `/api/tenants/${tenant.id}/choose`, { organizationId });
    expect(chosen.statusCode).toBe(200);
    expect(chosen.json().decision).toMatchObject({ state: 'matched', targetId: organizationId });
    expect(chosen.json().applied).toMatchObject({ applied: false, reason: 'sync_running' });
    expect(await contactsOfTenant()).toEqual([]);
    await db
      .updateTable('sync_runs')
      .set({ status: 'succeeded' })
      .where('tenant_id', '=', tenant.id)
      .where('status', '=', 'running')
      .execute();
  });

  it('says a tenant never synced gets its documentation at the first sync', async () => {
    const chosen = await call(world, 'technician', 'POST', `/api/tenants/${tenant.id}/choose`, { organizationId });
    expect(chosen.json().applied).toMatchObject({ applied: false, reason: 'not_synced' });
  });
});
