// Issue 15, "reviews a technician can decide": a review's candidates come with what tells them
// apart and a link to their record; resolving a review clears its candidates; giving a contact
// that already belongs to another Microsoft user is refused (409, documented error shape) unless
// the technician confirms.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { call, startWebWorld, type WebWorld } from './support.ts';
import { syncTenant } from '../../../src/sync/tenant-sync.ts';
import { enqueueTenantRun, finishRun } from '../../../src/sync/runs.ts';
import type { Integration, Tenant } from '../../../src/db/schema.ts';
import { contosoData, fakeSource } from '../sync/records.ts';
import { insertContosoTenantWithOrganization } from '../sync/fixtures.ts';

const ADELE = '6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0';
const ADMIN = '4562bcc8-c436-4f95-b7c0-4f8ce89dca5e';

describe.each(DATABASE_KINDS)('contact reviews on %s', (kind) => {
  let world: WebWorld;
  let integration: Integration;
  let tenant: Tenant;
  let organizationId: string;
  let frontDesk: string;
  let shopFloor: string;

  beforeAll(async () => {
    world = await startWebWorld(kind);
  });
  afterAll(async () => {
    await world?.close();
  });

  beforeEach(async () => {
    const db = world.ctx.database.db;
    ({ integration, tenant, organizationId } = await insertContosoTenantWithOrganization(db));
    // Two contacts share Adele's alias: the engine does not guess, it asks for a review.
    const contact = (first: string, last: string, title: string, phone: string) =>
      db
        .insertInto('contacts')
        .values({ organization_id: organizationId, first_name: first, last_name: last, title, phone })
        .returning('id')
        .executeTakeFirstOrThrow();
    frontDesk = (await contact('Adele', 'Vance', 'Front desk', '+1 425 555 0100')).id;
    shopFloor = (await contact('Adele', 'Vance-Smith', 'Shop floor', '+1 425 555 0199')).id;
    await db
      .insertInto('contact_emails')
      .values([
        { contact_id: frontDesk, email: 'adele@contoso.com', is_primary: true },
        { contact_id: shopFloor, email: 'adele@contoso.com', is_primary: true },
        { contact_id: shopFloor, email: 'avs@contoso.com', is_primary: false },
      ])
      .execute();
    await db
      .insertInto('configurations')
      .values({ organization_id: organizationId, name: 'SHOP-TABLET-7', contact_id: shopFloor })
      .execute();
    await sync();
  });

  async function sync() {
    const db = world.ctx.database.db;
    const now = world.clock.now();
    const fresh = await db.selectFrom('tenants').selectAll().where('id', '=', tenant.id).executeTakeFirstOrThrow();
    const runId = await enqueueTenantRun(db, { integrationId: integration.id, tenantId: tenant.id, trigger: 'cli', now });
    await db.updateTable('sync_runs').set({ status: 'running', started_at: now }).where('id', '=', runId).execute();
    const result = await syncTenant(
      { db, log: world.ctx.log, clock: world.clock, config: world.ctx.config },
      { runId, tenant: fresh, integration, source: fakeSource(contosoData()), fullListing: true },
    );
    await finishRun(db, runId, {
      status: result.status,
      now,
      counts: { ...result.writes, flagged: result.flagged, failed: 0, graphRequests: 0, throttled: 0 },
    });
    return result;
  }

  const adele = async () => (await call(world, 'technician', 'GET', `/api/tenants/${tenant.id}/users/${ADELE}`)).json();

  it("shows each candidate's emails, title, phone, devices, dates and a link to its record", async () => {
    const user = await adele();
    expect(user.decision).toBe('review');
    const byName = Object.fromEntries(user.candidates.map((c: { name: string }) => [c.name, c]));
    expect(byName['Adele Vance-Smith']).toMatchObject({
      id: shopFloor,
      emails: ['adele@contoso.com', 'avs@contoso.com'],
      title: 'Shop floor',
      phone: '+1 425 555 0199',
      devices: ['SHOP-TABLET-7'],
      url: `/organizations/${organizationId}/contacts?search=adele%40contoso.com`,
    });
    expect(Date.parse(byName['Adele Vance-Smith'].createdAt)).not.toBeNaN();
    expect(Date.parse(byName['Adele Vance-Smith'].updatedAt)).not.toBeNaN();
    expect(byName['Adele Vance']).toMatchObject({ title: 'Front desk', devices: [] });

    const page = await call(world, 'technician', 'GET', `/tenants/${tenant.id}/users/${ADELE}`);
    expect(page.body).toContain('SHOP-TABLET-7');
    expect(page.body).toContain('Shop floor');
    expect(page.body).toContain(`href="/organizations/${organizationId}/contacts?search=adele%40contoso.com"`);
  });

  it('clears the candidate list once the review is resolved, and undo brings it back', async () => {
    const resolved = await call(world, 'technician', 'POST', `/api/tenants/${tenant.id}/users/${ADELE}/decision`, {
      action: 'match',
      contactId: shopFloor,
    });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json().decision).toMatchObject({ state: 'match', targetId: shopFloor, candidates: [] });
    const user = await adele();
    expect(user.candidates).toEqual([]);
    expect(user.contact).toMatchObject({ id: shopFloor, url: `/tenants/${tenant.id}/users/${ADELE}` });

    const undone = await call(world, 'technician', 'POST', `/api/tenants/${tenant.id}/users/${ADELE}/decision`, { action: 'undo' });
    expect(undone.json().decision.candidates.sort()).toEqual([frontDesk, shopFloor].sort());
  });

  it('refuses a contact that already belongs to another user with 409 until the technician confirms', async () => {
    await call(world, 'technician', 'POST', `/api/tenants/${tenant.id}/users/${ADELE}/decision`, { action: 'match', contactId: shopFloor });
    const before = await world.ctx.database.db
      .selectFrom('match_decisions')
      .selectAll()
      .where('source_id', '=', ADMIN)
      .where('kind', '=', 'contact')
      .executeTakeFirst();

    const refused = await call(world, 'technician', 'POST', `/api/tenants/${tenant.id}/users/${ADMIN}/decision`, {
      action: 'match',
      contactId: shopFloor,
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({
      error: {
        code: 'contact_belongs_to_another_user',
        message: expect.stringContaining('Adele Vance (AdeleV@contoso.com)'),
        action: expect.stringContaining('confirm'),
        requestId: expect.any(String),
      },
    });
    const unchanged = await world.ctx.database.db
      .selectFrom('match_decisions')
      .selectAll()
      .where('source_id', '=', ADMIN)
      .where('kind', '=', 'contact')
      .executeTakeFirst();
    expect(unchanged).toEqual(before);

    const confirmed = await call(world, 'technician', 'POST', `/api/tenants/${tenant.id}/users/${ADMIN}/decision`, {
      action: 'match',
      contactId: shopFloor,
      confirm: true,
    });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json().decision).toMatchObject({ state: 'match', targetId: shopFloor });
  });

  it('lets a free contact be matched without asking', async () => {
    const response = await call(world, 'technician', 'POST', `/api/tenants/${tenant.id}/users/${ADELE}/decision`, {
      action: 'match',
      contactId: frontDesk,
    });
    expect(response.statusCode).toBe(200);
  });
});
