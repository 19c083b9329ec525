// Tenant pages say why a list is empty and what to do next: a relationship that ended, a
// DAP-only customer, a resource the last sync could not read, a tenant never synced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, seedContents, seedTenants, startWebWorld, type Seeded, type SeededContents, type WebWorld } from './support.ts';

/** The visible text of a page's main element, tags stripped and spaces collapsed. */
function text(body: string): string {
  const main = /<main[\s\S]*<\/main>/.exec(body)?.[0] ?? body;
  return main
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');
}

describe('tenant status on the technician pages', () => {
  let world: WebWorld;
  let seeded: Seeded;
  let contents: SeededContents;

  beforeAll(async () => {
    world = await startWebWorld('pglite');
    seeded = await seedTenants(world.ctx);
    contents = await seedContents(world.ctx, seeded, world.clock.now());
    const db = world.ctx.database.db;
    const t = seeded.tenants;
    await db
      .updateTable('tenants')
      .set({
        active: false,
        relationship_status: 'expired',
        relationship_end_at: new Date('2026-10-21T00:00:00Z'),
        inactive_reason: 'the GDAP relationship is expired (ended 2026-10-21)',
        health: 'failing',
        health_reason: 'the GDAP relationship is expired (ended 2026-10-21)',
      })
      .where('id', '=', t.tailspin!.id)
      .execute();
    await db
      .updateTable('tenants')
      .set({
        active: false,
        access_kind: 'dap',
        inactive_reason: 'no GDAP relationship (DAP only)',
        health: 'failing',
        health_reason: 'no GDAP relationship: Microsoft retired DAP',
      })
      .where('id', '=', t.northwind!.id)
      .execute();
    // "quotes": synced, but its devices could not be read (no Intune licence).
    await db
      .updateTable('tenants')
      .set({ health: 'warning', health_reason: 'not synced last time: devices', last_sync_at: world.clock.now() })
      .where('id', '=', t.quotes!.id)
      .execute();
    const run = await db
      .insertInto('sync_runs')
      .values({
        integration_id: seeded.integrationId,
        tenant_id: t.quotes!.id,
        trigger: 'manual',
        status: 'partial',
        started_at: world.clock.now(),
        finished_at: world.clock.now(),
        failed: 1,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('sync_log')
      .values([
        {
          run_id: run.id,
          tenant_id: t.quotes!.id,
          level: 'warning',
          code: 'devices_not_synced',
          message: 'devices of Quotes were not synced: the tenant has no Intune subscription; the previous data is kept',
          action: 'nothing to do if the customer does not use Intune; otherwise check its Intune licence',
        },
        { run_id: run.id, tenant_id: t.quotes!.id, level: 'info', code: 'tenant_synced', message: 'Quotes: 3 created', action: null },
      ])
      .execute();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('says an ended GDAP relationship stops the sync, and what to do', async () => {
    const page = text((await call(world, 'technician', 'GET', `/tenants/${seeded.tenants.tailspin!.id}/contacts`)).body);
    expect(page).toContain('docsync cannot read this tenant');
    expect(page).toContain(
      'The GDAP relationship is expired (ended 2026-10-21). What to do: Create a new GDAP relationship in Partner Center if you still ' +
        'manage this customer; its documentation is kept.',
    );
    expect(page).toContain('No users. docsync cannot read this tenant: the reason and what to do are above.');
    expect(page).not.toContain('has not been synced');
  });

  it('tells how to reach a DAP-only customer', async () => {
    const page = text((await call(world, 'read_only', 'GET', `/tenants/${seeded.tenants.northwind!.id}/configurations`)).body);
    expect(page).toContain(
      'No GDAP relationship (DAP only). What to do: Create a GDAP relationship with Directory Readers and Global Reader in Partner Center',
    );
  });

  it('explains an empty device list by what the last sync could not read, with a link to its log', async () => {
    const response = await call(world, 'technician', 'GET', `/tenants/${seeded.tenants.quotes!.id}/configurations`);
    const page = text(response.body);
    expect(page).toContain('The last sync could not read everything in this tenant');
    expect(page).toContain(
      'Devices of Quotes were not synced: the tenant has no Intune subscription; the previous data is kept. What to do: Nothing to do if ' +
        'the customer does not use Intune; otherwise check its Intune licence.',
    );
    expect(page).toContain('No Intune devices: the last sync could not read them.');
    expect(response.body).toMatch(/<a href="\/sync-runs\/[0-9a-f-]{36}">Open the last sync's log<\/a>/);
    // The licenses page of the same tenant is not "not read": it just has none yet.
    expect(text((await call(world, 'technician', 'GET', `/tenants/${seeded.tenants.quotes!.id}/licenses`)).body)).toContain(
      'This tenant has no subscriptions.',
    );
  });

  it('asks for a first sync where a tenant was never synced', async () => {
    const page = text((await call(world, 'technician', 'GET', `/tenants/${seeded.tenants.fresh!.id}/configurations`)).body);
    expect(page).toContain('No Intune devices yet: this tenant has not been synced. Press "Sync this tenant now" above');
    expect(page).not.toContain('The last sync could not read everything');
  });

  it("lists each tenant's problems with the action on the integration page", async () => {
    const page = text((await call(world, 'technician', 'GET', `/integrations/${seeded.integrationId}`)).body);
    expect(page).toContain('the GDAP relationship is expired (ended 2026-10-21) → create a new GDAP relationship in Partner Center');
    expect(page).toContain('→ nothing to do if the customer does not use Intune; otherwise check its Intune licence');
    expect(page).toContain('Not synced yet: use "Sync now".');
  });

  it('shows the health of failing tenants on the organizations page', async () => {
    const response = await call(world, 'technician', 'GET', '/tenants');
    const row = new RegExp(`<tr data-tenant="${seeded.tenants.tailspin!.id}">[\\s\\S]*?</tr>`).exec(response.body)![0];
    expect(text(row)).toContain('failing the GDAP relationship is expired (ended 2026-10-21)');
  });

  it("reads the overlay from the user's own data after a technician moved the match to another user's contact", async () => {
    const db = world.ctx.database.db;
    // The contact Adele is matched to still carries the overlay of the user the sync linked it to.
    await db
      .updateTable('contacts')
      .set({
        microsoft_user_id: 'u-someone-else',
        microsoft_overlay: JSON.stringify({
          signInActivityAvailable: true,
          lastSignInAt: '2020-01-01T00:00:00.000Z',
          inactive: true,
        }) as never,
      })
      .where('id', '=', contents.contacts.adele)
      .execute();
    const response = await call(world, 'technician', 'GET', `/api/tenants/${seeded.tenants.contoso!.id}/users/${contents.users.adele}`);
    expect(response.statusCode).toBe(200);
    const overlay = response.json().overlay;
    expect(overlay.lastSignInAt).not.toBe('2020-01-01T00:00:00.000Z');
    expect(overlay.inactive).toBe(false);
  });
});
