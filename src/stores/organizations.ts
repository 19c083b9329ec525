// Organizations (IT Glue's word: one per customer). The sync reads them for matching and creates
// one when the integration or a technician says so; the match pages look them up and search them.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { likePattern } from './like-pattern.ts';

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

/** A new organization; returns its id. */
export async function createOrganization(db: Db, input: { name: string; domains: string[]; now: Date }): Promise<string> {
  return (await insertOrganization(db, input)).id;
}

/** A new organization; returns its id and name. */
export async function insertOrganization(
  db: Db,
  input: { name: string; domains: string[]; now: Date },
): Promise<{ id: string; name: string }> {
  return db
    .insertInto('organizations')
    .values({ name: input.name, domains: input.domains, created_at: input.now, updated_at: input.now })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
}

export async function organizationExists(db: Db, id: string): Promise<boolean> {
  return (await findOrganizationName(db, id)) !== undefined;
}

/** An organization's id and name, or undefined. */
export async function findOrganizationName(db: Db, id: string): Promise<{ id: string; name: string } | undefined> {
  return db.selectFrom('organizations').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
}

/** The names of these organizations by id (ids that are not a GUID or not found are left out). */
export async function organizationNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  const valid = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (valid.length === 0) return new Map();
  const rows = await db.selectFrom('organizations').select(['id', 'name']).where('id', 'in', valid).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Organizations whose name contains `search` (all when it is empty), by name, at most `limit`. */
export async function organizationsByName(db: Db, search: string, limit: number): Promise<OrganizationForMatching[]> {
  let query = db
    .selectFrom('organizations')
    .select(['id', 'name', 'domains'])
    .orderBy(sql`lower(name)`)
    .orderBy('id')
    .limit(limit);
  if (search.trim()) query = query.where(sql`lower(name)`, 'like', likePattern(search));
  const rows = await query.execute();
  return rows.map((r) => ({ id: r.id, name: r.name, domains: r.domains ?? [] }));
}

/** Whether any organization is documented yet. */
export async function anyOrganization(db: Db): Promise<boolean> {
  return (await db.selectFrom('organizations').select('id').limit(1).execute()).length > 0;
}
