// What `docsync demo` (src/cli/demo.ts) writes before the first sync — organizations and
// contacts typed in as a technician would — and the figures it prints after it.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

type Db = Kysely<Database>;

/** An organization as a technician types it in; returns its id. */
export async function seedOrganization(db: Db, input: { name: string; domains: string[] }): Promise<string> {
  const row = await db
    .insertInto('organizations')
    .values({ name: input.name, domains: input.domains })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Contacts as a technician types them in (the same person may be given twice); returns their ids. */
export async function seedContacts(
  db: Db,
  contacts: Array<{ organizationId: string; firstName: string | null; lastName: string | null; email?: string | null }>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const c of contacts) {
    const row = await db
      .insertInto('contacts')
      .values({ organization_id: c.organizationId, first_name: c.firstName, last_name: c.lastName })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (c.email) await db.insertInto('contact_emails').values({ contact_id: row.id, email: c.email, is_primary: true }).execute();
    ids.push(row.id);
  }
  return ids;
}

/** How many records of a kind Microsoft last listed across an integration's tenants. */
export async function currentRecordCount(
  db: Db,
  integrationId: string,
  table: 'ms_users' | 'ms_managed_devices' | 'ms_mailboxes' | 'ms_subscribed_skus',
): Promise<number> {
  const row = await db
    .selectFrom(table)
    .innerJoin('tenants', 'tenants.id', `${table}.tenant_id`)
    .where('tenants.integration_id', '=', integrationId)
    .where(`${table}.removed_at`, 'is', null)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
