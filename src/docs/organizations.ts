// Organizations: one per customer tenant. The sync reads them for matching; it creates one only
// when the integration says so (settings.createOrganizations) or a technician asked for it.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

type Db = Kysely<Database>;

export interface OrganizationForMatching {
  id: string;
  name: string;
  domains: string[];
}

export async function organizationsForMatching(db: Db): Promise<OrganizationForMatching[]> {
  const rows = await db.selectFrom('organizations').select(['id', 'name', 'domains']).orderBy('name').orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, domains: r.domains ?? [] }));
}

export async function createOrganization(db: Db, input: { name: string; domains: string[]; now: Date }): Promise<string> {
  const row = await db
    .insertInto('organizations')
    .values({ name: input.name, domains: input.domains, created_at: input.now, updated_at: input.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function organizationExists(db: Db, id: string): Promise<boolean> {
  return (await db.selectFrom('organizations').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}
