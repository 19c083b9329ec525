import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { syncTenant } from '../../../src/sync/tenant-sync.ts';
import { enqueueTenantRun, finishRun, getRun } from '../../../src/sync/runs.ts';
import { readSyncLog } from '../../../src/sync/sync-log.ts';
import { jsonb } from '../../../src/db/json.ts';
import type { Integration, Tenant } from '../../../src/db/schema.ts';
import { contosoData, fakeSource, permissionMissing, type FakeTenantData } from './records.ts';
import { insertContosoTenantWithOrganization } from './fixtures.ts';

const NOW = new Date('2026-11-23T12:00:00Z');

describe.each(DATABASE_KINDS)('tenant sync on %s', (kind) => {
  let ctx: TestContext;
  let now = NOW;
  const clock = { now: () => now };

  beforeAll(async () => {
    ctx = await createTestContext(kind, { overrides: { clock } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  let integration: Integration;
  let tenant: Tenant;
  let data: FakeTenantData;
  let organizationId: string;

  beforeEach(async () => {
    now = NOW;
    ({ integration, tenant, organizationId } = await insertContosoTenantWithOrganization(ctx.database.db));
    data = contosoData();
  });

  async function sync(options: { fullListing?: boolean } = {}) {
    const db = ctx.database.db;
    const fresh = await db.selectFrom('tenants').selectAll().where('id', '=', tenant.id).executeTakeFirstOrThrow();
    const runId = await enqueueTenantRun(db, { integrationId: integration.id, tenantId: tenant.id, trigger: 'cli', now });
    const source = fakeSource(data);
    const result = await syncTenant(
      { db, log: ctx.log, clock, config: ctx.config },
      { runId, tenant: fresh, integration, source, fullListing: options.fullListing ?? true },
    );
    await finishRun(db, runId, {
      status: result.status,
      now,
      counts: { ...result.writes, flagged: result.flagged, failed: result.failedResources.length, graphRequests: 0, throttled: 0 },
    });
    return { result, runId, source };
  }

  const contactsOf = () =>
    ctx.database.db.selectFrom('contacts').selectAll().where('tenant_id', '=', tenant.id).orderBy('last_name').execute();

  it('creates contacts and configurations on the first sync, with the Microsoft overlay and friendly license names', async () => {
    const { result } = await sync();
    expect(result.writes.created).toBe(3); // two members + one device; the guest is skipped
    expect(result.decisions.skip).toBe(1);
    const contacts = await contactsOf();
    expect(contacts.map((c) => `${c.first_name} ${c.last_name}`)).toEqual(['MOD Administrator', 'Adele Vance']);
    const adele = contacts.find((c) => c.first_name === 'Adele')!;
    expect(adele.organization_id).toBe(organizationId);
    const overlay = adele.microsoft_overlay as Record<string, any>;
    expect(overlay.licenses).toEqual([{ skuId: 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', name: 'Microsoft 365 Business Premium' }]);
    expect(overlay.mailbox.storageUsedBytes).toBe(1_234_567);
    expect(overlay.lastSignInAt).toBe('2026-11-20T10:00:00Z');
    expect(overlay.inactive).toBe(false);
    const admin = contacts.find((c) => c.first_name === 'MOD')!;
    expect((admin.microsoft_overlay as Record<string, any>).inactive).toBe(true);
    const emails = await ctx.database.db
      .selectFrom('contact_emails')
      .select(['email', 'is_primary'])
      .where('contact_id', '=', adele.id)
      .orderBy('email')
      .execute();
    expect(emails).toHaveLength(2);
    expect(emails).toEqual(
      expect.arrayContaining([
        { email: 'adele@contoso.com', is_primary: false },
        { email: 'AdeleV@contoso.com', is_primary: true },
      ]),
    );
    const device = await ctx.database.db
      .selectFrom('configurations')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(device).toMatchObject({ name: 'CONTOSO-LT-001', serial_number: 'PF3ABCDE', contact_id: adele.id, in_microsoft: true });
    const sku = await ctx.database.db
      .selectFrom('ms_subscribed_skus')
      .select('data')
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(sku.data).toMatchObject({ displayName: 'Microsoft 365 Business Premium', available: 4 });
  });

  it('writes nothing when nothing changed in Microsoft', async () => {
    await sync();
    const db = ctx.database.db;
    const before = await sql<{ xmin: string }>`select string_agg(xmin::text, ',' order by id) as xmin from (
        select id::text, xmin from contacts union all select id::text, xmin from configurations
        union all select id::text, xmin from match_decisions union all select tenant_id::text || user_id, xmin from ms_users) t`.execute(
      db,
    );
    const { result } = await sync();
    expect(result.writes).toEqual({ created: 0, updated: 0, unchanged: 3 });
    const after = await sql<{ xmin: string }>`select string_agg(xmin::text, ',' order by id) as xmin from (
        select id::text, xmin from contacts union all select id::text, xmin from configurations
        union all select id::text, xmin from match_decisions union all select tenant_id::text || user_id, xmin from ms_users) t`.execute(
      db,
    );
    expect(after.rows[0]!.xmin).toBe(before.rows[0]!.xmin);
  });

  it('updates only what changed', async () => {
    await sync();
    data.users[0]!.jobTitle = 'Store Manager';
    const { result } = await sync();
    expect(result.writes).toEqual({ created: 0, updated: 1, unchanged: 2 });
    expect((await contactsOf()).find((c) => c.first_name === 'Adele')!.title).toBe('Store Manager');
  });

  it('marks a user gone from a complete listing as no longer in Microsoft, never deletes', async () => {
    await sync();
    data.users = data.users.filter((u) => u.givenName !== 'MOD');
    data.devices = [];
    now = new Date(NOW.getTime() + 3_600_000);
    await sync();
    const admin = (await contactsOf()).find((c) => c.first_name === 'MOD')!;
    expect(admin.in_microsoft).toBe(false);
    expect(admin.removed_from_microsoft_at).toEqual(now);
    const device = await ctx.database.db
      .selectFrom('configurations')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(device.in_microsoft).toBe(false);
  });

  it('reads the usage reports at most every few hours', async () => {
    const first = await sync();
    expect(first.source.calls).toContain('mailboxes');
    const again = await sync();
    expect(again.source.calls).not.toContain('mailboxes');
    now = new Date(NOW.getTime() + 7 * 3_600_000);
    expect((await sync()).source.calls).toContain('mailboxes');
  });

  it('changes nothing for a resource whose fetch failed, and says so', async () => {
    await sync();
    data.devices = [];
    data.users = [];
    data.failing.devices = permissionMissing('Intune devices');
    data.failing.users = permissionMissing('users');
    const { result, runId } = await sync();
    expect(result.status).toBe('partial');
    expect(result.failedResources).toEqual(['users', 'devices']);
    expect((await contactsOf()).every((c) => c.in_microsoft)).toBe(true);
    const device = await ctx.database.db
      .selectFrom('configurations')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(device.in_microsoft).toBe(true);
    const log = await readSyncLog(ctx.database.db, runId);
    expect(log.find((l) => l.code === 'devices_not_synced')).toMatchObject({
      level: 'warning',
      action: 'grant the permission and re-run admin consent',
    });
    expect((await getRun(ctx.database.db, runId))?.status).toBe('partial');
  });

  it('keeps the previous mailbox data when report names are concealed, and logs the fix', async () => {
    await sync();
    data.concealed = true;
    data.mailboxes = [];
    now = new Date(NOW.getTime() + 7 * 3_600_000); // reports are read at most every 6 hours
    const { runId } = await sync();
    const adele = (await contactsOf()).find((c) => c.first_name === 'Adele')!;
    expect((adele.microsoft_overlay as Record<string, any>).mailbox.storageUsedBytes).toBe(1_234_567);
    const line = (await readSyncLog(ctx.database.db, runId)).find((l) => l.code === 'reports_concealed')!;
    expect(line.message).toContain('reports are anonymised in tenant Contoso');
    expect(line.action).toContain("turn off 'Display concealed user, group and site names'");
  });

  /**
   * A technician's decision on a user or device, stored over the sync's (which may be stored, or
   * shown without a row for what the sync created: effective_match_decisions).
   */
  const technicianDecides = (
    kind: 'contact' | 'configuration',
    sourceId: string,
    decision: { state: 'match' | 'excluded'; target_id: string | null },
  ) => {
    const values = {
      ...decision,
      ...(decision.state === 'match' ? { rule: 'technician' } : {}),
      decided_by: 'tech-1',
      decided_by_technician: true,
    };
    return ctx.database.db
      .insertInto('match_decisions')
      .values({ kind, tenant_id: tenant.id, source_id: sourceId, ...values })
      .onConflict((oc) => oc.columns(['kind', 'tenant_id', 'source_id']).doUpdateSet(values))
      .execute();
  };

  it('never overwrites a technician decision', async () => {
    await sync();
    const db = ctx.database.db;
    await technicianDecides('contact', data.users[1]!.id, { state: 'excluded', target_id: null });
    data.users[1]!.jobTitle = 'Changed';
    await sync();
    const decision = await db
      .selectFrom('match_decisions')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where('source_id', '=', data.users[1]!.id)
      .executeTakeFirstOrThrow();
    expect(decision).toMatchObject({ state: 'excluded', decided_by: 'tech-1', decided_by_technician: true });
    expect((await contactsOf()).find((c) => c.first_name === 'MOD')!.title).toBeNull();
  });

  it("moves the Microsoft link when a technician changes a contact's match, keeping both contacts", async () => {
    await sync();
    const db = ctx.database.db;
    const adele = data.users.find((u) => u.givenName === 'Adele')!;
    const before = (await contactsOf()).find((c) => c.microsoft_user_id === adele.id)!;
    const chosen = await db
      .insertInto('contacts')
      .values({ organization_id: organizationId, first_name: 'Adele', last_name: 'Vance-Smith' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await technicianDecides('contact', adele.id, { state: 'match', target_id: chosen.id });

    const { result } = await sync();
    expect(result.status).not.toBe('failed');
    const linked = await db
      .selectFrom('contacts')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('microsoft_user_id', '=', adele.id)
      .execute();
    expect(linked.map((c) => c.id)).toEqual([chosen.id]);
    expect((linked[0]!.microsoft_overlay as Record<string, unknown>).userPrincipalName).toBeDefined();
    const released = await db.selectFrom('contacts').selectAll().where('id', '=', before.id).executeTakeFirstOrThrow();
    expect(released).toMatchObject({ microsoft_user_id: null, microsoft_overlay: null, first_name: 'Adele' });
    const { result: again } = await sync();
    expect(again.writes.created + again.writes.updated).toBe(0);
  });

  it("moves the Intune link when a technician changes a configuration's match", async () => {
    await sync();
    const db = ctx.database.db;
    const device = data.devices[0]!;
    const before = await db
      .selectFrom('configurations')
      .selectAll()
      .where('intune_device_id', '=', device.id)
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    const chosen = await db
      .insertInto('configurations')
      .values({ organization_id: organizationId, name: 'SPARE-LAPTOP' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await technicianDecides('configuration', device.id, { state: 'match', target_id: chosen.id });

    const { result } = await sync();
    expect(result.status).not.toBe('failed');
    const linked = await db
      .selectFrom('configurations')
      .select('id')
      .where('organization_id', '=', organizationId)
      .where('intune_device_id', '=', device.id)
      .execute();
    expect(linked.map((c) => c.id)).toEqual([chosen.id]);
    expect(await db.selectFrom('configurations').select('intune_device_id').where('id', '=', before.id).executeTakeFirstOrThrow()).toEqual({
      intune_device_id: null,
    });
  });

  it('leaves users pending while the tenant matches no organization', async () => {
    await ctx.database.db
      .updateTable('organizations')
      .set({ name: 'Someone Else', domains: [] })
      .where('id', '=', organizationId)
      .execute();
    const { result } = await sync();
    expect(result.decisions.pending).toBe(4); // three users and the device
    expect(result.writes.created).toBe(0);
    expect(await contactsOf()).toEqual([]);
  });

  async function createOrganizationsSetting(on: boolean) {
    await ctx.database.db
      .updateTable('integrations')
      .set({ settings: jsonb({ createOrganizations: on }) })
      .where('id', '=', integration.id)
      .execute();
    integration = await ctx.database.db.selectFrom('integrations').selectAll().where('id', '=', integration.id).executeTakeFirstOrThrow();
  }
  const organizationCount = async () =>
    Number(
      (
        await ctx.database.db
          .selectFrom('organizations')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const organizationDecision = () =>
    ctx.database.db
      .selectFrom('match_decisions')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where('kind', '=', 'organization')
      .executeTakeFirstOrThrow();

  it('waits for a technician instead of creating an organization when the tenant only resembles one', async () => {
    await createOrganizationsSetting(true);
    // Two organizations with the tenant's name: a suggestion each, no match.
    await ctx.database.db.updateTable('organizations').set({ name: 'Contoso', domains: [] }).where('id', '=', organizationId).execute();
    await ctx.database.db.insertInto('organizations').values({ name: 'Contoso', domains: [] }).execute();
    const before = await organizationCount();
    const { result, runId } = await sync();
    expect(await organizationCount()).toBe(before);
    expect(await organizationDecision()).toMatchObject({ state: 'suggested', target_id: null });
    expect(result.writes.created).toBe(0);
    expect(result.decisions.pending).toBe(4);
    expect((await readSyncLog(ctx.database.db, runId)).map((l) => l.code)).toContain('organization_suggested');
    await sync();
    expect(await organizationCount()).toBe(before);
  });

  it('creates an organization for a tenant that resembles none, only when the integration says so', async () => {
    await ctx.database.db
      .updateTable('organizations')
      .set({ name: 'Someone Else', domains: [] })
      .where('id', '=', organizationId)
      .execute();
    const before = await organizationCount();
    await sync();
    expect(await organizationCount()).toBe(before);
    expect(await organizationDecision()).toMatchObject({ state: 'unmatched' });

    await createOrganizationsSetting(true);
    const { result } = await sync();
    expect(await organizationCount()).toBe(before + 1);
    const decision = await organizationDecision();
    expect(decision).toMatchObject({ state: 'matched', rule: 'created' });
    const created = await ctx.database.db
      .selectFrom('organizations')
      .selectAll()
      .where('id', '=', decision.target_id!)
      .executeTakeFirstOrThrow();
    expect(created).toMatchObject({ name: 'Contoso', domains: ['contoso.com', 'contoso.onmicrosoft.com'] });
    expect(result.writes.created).toBe(3);
  });

  it('excludes members of excluded groups and users outside the synced domains', async () => {
    await ctx.database.db
      .updateTable('integrations')
      .set({ settings: jsonb({ excludeGroupIds: ['g1'], domains: ['contoso.com'] }) })
      .where('id', '=', integration.id)
      .execute();
    integration = await ctx.database.db.selectFrom('integrations').selectAll().where('id', '=', integration.id).executeTakeFirstOrThrow();
    data.groups.g1 = [data.users[1]!.id];
    const { result } = await sync();
    expect(result.decisions.skip).toBe(2);
    expect((await contactsOf()).map((c) => c.first_name)).toEqual(['Adele']);
  });
});
