// Issue 6: "The same sync run twice with no change in Microsoft writes nothing" — also for a
// tenant whose users need a technician's review (contacts sharing an address or a name), and
// whatever order Microsoft or the database hands records back in.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { DATABASE_KINDS } from '../../support/databases.ts';
import { syncTenant, type TenantSyncResult } from '../../../src/sync/tenant-sync.ts';
import { enqueueTenantRun, finishRun } from '../../../src/sync/runs.ts';
import { jsonb } from '../../../src/db/json.ts';
import { writeAsTenantSync } from '../../../src/sync/fingerprint.ts';
import type { Database, Integration, Tenant } from '../../../src/db/schema.ts';
import type { GraphUser } from '../../../src/microsoft/tenant-reader.ts';
import { contosoData, fakeSource, type FakeTenantData } from './records.ts';
import { insertContosoTenantWithOrganization, insertTenant } from './fixtures.ts';

const NOW = new Date('2026-11-23T12:00:00Z');

/** Every row the sync may write, as table:key → xmin (the id of the transaction that last wrote it). */
async function rowVersions(db: Kysely<Database>): Promise<Map<string, string>> {
  const result = await sql<{ key: string; xmin: string }>`
    select 'contacts:' || id::text as key, xmin::text as xmin from contacts
    union all select 'contact_emails:' || id::text, xmin::text from contact_emails
    union all select 'configurations:' || id::text, xmin::text from configurations
    union all select 'organizations:' || id::text, xmin::text from organizations
    union all select 'match_decisions:' || id::text, xmin::text from match_decisions
    union all select 'ms_users:' || tenant_id::text || user_id, xmin::text from ms_users
    union all select 'ms_managed_devices:' || tenant_id::text || device_id, xmin::text from ms_managed_devices
    union all select 'ms_mailboxes:' || tenant_id::text || user_principal_name, xmin::text from ms_mailboxes
    union all select 'ms_subscribed_skus:' || tenant_id::text || sku_id, xmin::text from ms_subscribed_skus`.execute(db);
  return new Map(result.rows.map((r) => [r.key, r.xmin]));
}

function written(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys: string[] = [];
  for (const [key, xmin] of after) if (before.get(key) !== xmin) keys.push(key);
  for (const key of before.keys()) if (!after.has(key)) keys.push(`deleted ${key}`);
  return keys;
}

const member = (id: string, given: string, surname: string, upn: string, aliases: string[] = []): GraphUser => ({
  id,
  userPrincipalName: upn,
  displayName: `${given} ${surname}`,
  givenName: given,
  surname,
  mail: upn,
  proxyAddresses: [`SMTP:${upn}`, ...aliases.map((a) => `smtp:${a}`)],
  userType: 'Member',
  accountEnabled: true,
  createdDateTime: '2024-01-10T09:00:00Z',
  signInActivity: { lastSuccessfulSignInDateTime: '2026-11-20T10:00:00Z' },
  assignedLicenses: [],
});

describe.each(DATABASE_KINDS)('no-change re-sync with review cases on %s', (kind) => {
  let ctx: TestContext;
  let now = NOW;
  const clock = { now: () => now };
  let integration: Integration;
  let tenant: Tenant;
  let data: FakeTenantData;
  let organizationId: string;

  beforeAll(async () => {
    ctx = await createTestContext(kind, { overrides: { clock } });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  beforeEach(async () => {
    now = NOW;
    const db = ctx.database.db;
    ({ integration, tenant, organizationId } = await insertContosoTenantWithOrganization(db));

    // Contacts a technician documented before the integration existed.
    const contact = async (first: string, last: string, emails: string[], microsoftUserId: string | null = null) => {
      const { id } = await db
        .insertInto('contacts')
        .values({ organization_id: organizationId, first_name: first, last_name: last, microsoft_user_id: microsoftUserId })
        .returning('id')
        .executeTakeFirstOrThrow();
      for (const [i, email] of emails.entries())
        await db
          .insertInto('contact_emails')
          .values({ contact_id: id, email, is_primary: i === 0 })
          .execute();
    };
    await contact('Raúl', 'van der Berg', ['raul.vdb@old-contoso.example'], 'a-user-of-another-tenant');
    await contact('Front', 'Desk', ['info@contoso.com']);
    await contact('Reception', 'Team', ['INFO@contoso.com', 'reception@contoso.com']);
    await contact('Megan', 'Bowen', []);
    await contact('Megan', 'Bowen', ['megan@fabrikam.example']);

    data = contosoData();
    data.users.push(
      // Same name as a contact linked to someone else; shares the alias raul@ with the next user,
      // whose contact this very sync creates.
      member('10000000-0000-4000-8000-000000000001', 'Raúl', 'van der Berg', 'raul.vanderberg@contoso.com', ['raul@contoso.com']),
      member('10000000-0000-4000-8000-000000000002', 'Raúl', 'Adams', 'raul.adams@contoso.com', ['raul@contoso.com']),
      // Two contacts share this user's address.
      member('10000000-0000-4000-8000-000000000003', 'Isaiah', 'Langer', 'isaiah.langer@contoso.com', ['info@contoso.com']),
      // Two contacts share this user's name.
      member('10000000-0000-4000-8000-000000000004', 'Megan', 'Bowen', 'megan.bowen@contoso.com'),
      // Two users claim one contact's address.
      member('10000000-0000-4000-8000-000000000005', 'Lidia', 'Holloway', 'lidia.holloway@contoso.com', ['reception@contoso.com']),
      member('10000000-0000-4000-8000-000000000006', 'Grady', 'Archie', 'grady.archie@contoso.com', ['reception@contoso.com']),
    );
  });

  async function sync(options: { rederive?: boolean } = {}): Promise<TenantSyncResult> {
    const db = ctx.database.db;
    integration = await db.selectFrom('integrations').selectAll().where('id', '=', integration.id).executeTakeFirstOrThrow();
    const fresh = await db.selectFrom('tenants').selectAll().where('id', '=', tenant.id).executeTakeFirstOrThrow();
    const runId = await enqueueTenantRun(db, { integrationId: integration.id, tenantId: tenant.id, trigger: 'cli', now });
    const result = await syncTenant(
      { db, log: ctx.log, clock, config: ctx.config },
      { runId, tenant: fresh, integration, source: fakeSource(data), fullListing: true, rederive: options.rederive },
    );
    await finishRun(db, runId, {
      status: result.status,
      now,
      counts: { ...result.writes, flagged: result.flagged, failed: 0, graphRequests: 0, throttled: 0 },
    });
    return result;
  }

  // "derives again": the second run matches and compares everything (a fingerprint change
  // elsewhere, a technician's full sync); "skips": it finds nothing it reads changed.
  for (const rederive of [true, false]) {
    const how = rederive ? 'when it derives everything again' : 'when it skips an unchanged tenant';
    it(`writes zero rows the second time, with contacts that need review, ${how}`, async () => {
      const first = await sync();
      expect(first.decisions.review).toBeGreaterThanOrEqual(4);
      const before = await rowVersions(ctx.database.db);
      const again = await sync({ rederive });
      expect(written(before, await rowVersions(ctx.database.db))).toEqual([]);
      expect(again.writes).toEqual({
        created: 0,
        updated: 0,
        unchanged: first.writes.created + first.writes.updated + first.writes.unchanged,
      });
      expect(again.flagged).toBe(first.flagged);
      expect(again.decisions.review).toBe(first.decisions.review);
      expect(again.derived).toBe(rederive);
    });

    it(`writes zero rows when Microsoft lists the same users in another order, ${how}`, async () => {
      await sync();
      const before = await rowVersions(ctx.database.db);
      data.users.reverse();
      await sync({ rederive });
      expect(written(before, await rowVersions(ctx.database.db))).toEqual([]);
    });
  }

  it('keeps the review decisions a technician sees stable between runs', async () => {
    await sync();
    const decisions = () =>
      ctx.database.db
        .selectFrom('match_decisions')
        .select(['source_id', 'state', 'rule', 'candidates', 'reason'])
        .where('tenant_id', '=', tenant.id)
        .where('state', '=', 'review')
        .orderBy('source_id')
        .execute();
    const first = await decisions();
    expect(first).toHaveLength(5);
    expect(first.find((d) => d.source_id === '10000000-0000-4000-8000-000000000003')).toMatchObject({
      rule: 'alias',
      reason: '2 contacts share the address info@contoso.com; choose the right one.',
    });
    expect(first.find((d) => d.source_id === '10000000-0000-4000-8000-000000000004')).toMatchObject({ rule: 'name' });
    await sync({ rederive: true });
    expect(await decisions()).toEqual(first);
  });

  // The skip must never hide a change: everything the documentation is derived from counts.
  describe('an unchanged tenant is skipped, but not when', () => {
    const contactOf = (userId: string) =>
      ctx.database.db
        .selectFrom('contacts')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('microsoft_user_id', '=', userId)
        .executeTakeFirst();
    const decisionOf = (userId: string) =>
      ctx.database.db
        .selectFrom('match_decisions')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .where('source_id', '=', userId)
        .executeTakeFirstOrThrow();
    const isaiah = '10000000-0000-4000-8000-000000000003';
    const megan = '10000000-0000-4000-8000-000000000004';

    it('a technician edits a contact of the organization', async () => {
      await sync();
      expect(await decisionOf(isaiah)).toMatchObject({ state: 'review', rule: 'alias' });
      // The technician removes the shared address from one of the two contacts.
      await ctx.database.db.deleteFrom('contact_emails').where('email', '=', 'INFO@contoso.com').execute();
      const { writes, derived } = await sync();
      expect(derived).toBe(true);
      expect(writes.updated).toBe(1);
      expect(await decisionOf(isaiah)).toMatchObject({ state: 'match', rule: 'alias' });
      expect((await contactOf(isaiah))?.first_name).toBe('Isaiah');
    });

    it("another tenant's sync writes a contact of the same organization", async () => {
      await sync();
      expect((await sync()).derived).toBe(false);
      // What a second tenant of this customer writes (its own sync's writes count as changes here).
      const otherTenant = await insertTenant(ctx.database.db, integration.id, { display_name: 'Contoso Europe' });
      await ctx.database.db.transaction().execute(async (trx) => {
        await writeAsTenantSync(trx, otherTenant.id);
        await trx
          .insertInto('contacts')
          .values({
            organization_id: organizationId,
            first_name: 'Isaiah',
            last_name: 'Langer',
            microsoft_user_id: 'a-user-of-contoso-europe',
          })
          .execute();
      });
      expect((await sync()).derived).toBe(true);
      expect((await sync()).derived).toBe(false);
    });

    it('a technician decides a review', async () => {
      await sync();
      const chosen = (
        await ctx.database.db
          .selectFrom('contacts')
          .select('id')
          .where('organization_id', '=', organizationId)
          .where('first_name', '=', 'Megan')
          .orderBy('id')
          .executeTakeFirstOrThrow()
      ).id;
      await ctx.database.db
        .updateTable('match_decisions')
        .set({ state: 'match', target_id: chosen, decided_by: 'tech-1', decided_by_technician: true })
        .where('tenant_id', '=', tenant.id)
        .where('source_id', '=', megan)
        .execute();
      expect((await sync()).derived).toBe(true);
      expect((await contactOf(megan))?.id).toBe(chosen);
    });

    it('the integration settings change', async () => {
      const first = await sync();
      await ctx.database.db
        .updateTable('integrations')
        .set({ settings: jsonb({ includeGuests: true }) })
        .where('id', '=', integration.id)
        .execute();
      const { writes } = await sync();
      expect(writes.created).toBe(1);
      expect(first.decisions.skip).toBe(1);
    });

    it('a user becomes inactive with time alone', async () => {
      data.users[0]!.signInActivity = { lastSuccessfulSignInDateTime: '2026-11-01T10:00:00Z' };
      // Her mailbox's last activity and her laptop's check-in count as being seen too (issue 17): the same day.
      data.mailboxes[0]!.lastActivityDate = '2026-11-01';
      data.devices[0]!.lastSyncDateTime = '2026-11-01T07:00:00Z';
      await sync();
      const adele = data.users[0]!.id;
      expect(((await contactOf(adele))?.microsoft_overlay as { inactive: boolean }).inactive).toBe(false);
      now = new Date(NOW.getTime() + 2 * 3_600_000);
      expect(await sync()).toMatchObject({ derived: false, writes: { updated: 0 } });
      now = new Date('2026-12-02T12:00:00Z'); // 31 days after the last sign-in
      const { writes } = await sync();
      expect(writes.updated).toBeGreaterThanOrEqual(1);
      expect(((await contactOf(adele))?.microsoft_overlay as { inactive: boolean }).inactive).toBe(true);
    });

    it('a user changes in Microsoft', async () => {
      await sync();
      data.users[0]!.jobTitle = 'Store Manager';
      const { writes } = await sync();
      expect(writes).toMatchObject({ created: 0, updated: 1 });
    });
  });
});
