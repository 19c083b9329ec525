// What a tenant's pages read beyond the lists (src/stores/tenant-lists.ts): one user's staged
// records, the contacts of the tenant's organization for "change match", licensed users who are
// disabled. The shaping for the pages is in src/web/services/tenant-contents.ts.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { likePattern } from './like-pattern.ts';

type Db = Kysely<Database>;

/** Ids of an organization's contacts by name, those whose name or an address contains `search` when given. */
export async function organizationContactIds(db: Db, organizationId: string, search: string, limit: number): Promise<string[]> {
  let query = db
    .selectFrom('contacts')
    .select('id')
    .where('organization_id', '=', organizationId)
    .orderBy(sql`lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))`)
    .limit(limit);
  if (search.trim()) {
    const pattern = likePattern(search);
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))`, 'like', pattern),
        eb.exists(
          eb
            .selectFrom('contact_emails')
            .select('id')
            .whereRef('contact_emails.contact_id', '=', 'contacts.id')
            .where(sql`lower(email)`, 'like', pattern),
        ),
      ]),
    );
  }
  return (await query.execute()).map((r) => r.id);
}

/** Disabled users of a tenant who still hold licences, by display name (at most 1,000). */
export async function disabledLicensedUsersOfTenant(db: Db, tenantId: string): Promise<Array<{ user_id: string; data: unknown }>> {
  return db
    .selectFrom('ms_users')
    .select(['user_id', 'data'])
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .where(sql`(data->>'accountEnabled')`, '=', 'false')
    .where(sql<number>`jsonb_array_length(coalesce(data->'assignedLicenses', '[]'::jsonb))`, '>', 0)
    .orderBy(sql`lower(coalesce(data->>'displayName', ''))`)
    .limit(1000)
    .execute();
}

/** One staged user of a tenant (the whole row), or undefined. */
export async function stagedUserOfTenant(db: Db, tenantId: string, userId: string) {
  return db.selectFrom('ms_users').selectAll().where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
}

/** Whether the tenant has this staged user (removed ones included). */
export async function tenantHasUser(db: Db, tenantId: string, userId: string): Promise<boolean> {
  const user = await db
    .selectFrom('ms_users')
    .select('user_id')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return user !== undefined;
}

/** The effective contact decision about one user of a tenant, or undefined. */
export async function contactDecisionOfUser(db: Db, tenantId: string, userId: string) {
  return db
    .selectFrom('effective_match_decisions')
    .selectAll()
    .where('kind', '=', 'contact')
    .where('tenant_id', '=', tenantId)
    .where('source_id', '=', userId)
    .executeTakeFirst();
}

/** The Microsoft overlay of a contact, when the sync last linked it to this user. */
export async function overlayOfContactLinkedTo(db: Db, contactId: string, userId: string) {
  return db
    .selectFrom('contacts')
    .select(['microsoft_overlay'])
    .where('id', '=', contactId)
    .where('microsoft_user_id', '=', userId)
    .executeTakeFirst();
}

/** The staged mailbox usage of a user principal name (case-insensitive), or undefined. */
export async function mailboxOfUserPrincipalName(db: Db, tenantId: string, userPrincipalName: string) {
  return db
    .selectFrom('ms_mailboxes')
    .select('data')
    .where('tenant_id', '=', tenantId)
    .where(sql`lower(user_principal_name)`, '=', userPrincipalName.toLowerCase())
    .executeTakeFirst();
}

/** The current managed devices of a user (at most 100, by device id). */
export async function devicesOfUser(db: Db, tenantId: string, userId: string) {
  return db
    .selectFrom('ms_managed_devices')
    .select(['device_id', 'data'])
    .where('tenant_id', '=', tenantId)
    .where(sql`data->>'userId'`, '=', userId)
    .where('removed_at', 'is', null)
    .orderBy('device_id')
    .limit(100)
    .execute();
}

/** A contact's organization, or undefined when there is no such contact. */
export async function contactWithOrganization(db: Db, contactId: string) {
  return db.selectFrom('contacts').select(['id', 'organization_id']).where('id', '=', contactId).executeTakeFirst();
}
