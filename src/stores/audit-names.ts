// Names for the audit log page: who acted (a technician's display name) and what was acted on
// (a technician, integration, tenant, organization, contact, configuration, vault entry, action,
// Microsoft user or a match decision), read in one query per kind for a page of rows.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

type Db = Kysely<Database>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `${subjectType}:${subjectId}` → a name, for the subjects docsync still knows. */
export async function auditSubjectNames(
  db: Db,
  rows: Array<{ subject_type: string; subject_id: string | null }>,
): Promise<Map<string, string>> {
  const ids = (type: string) => [...new Set(rows.filter((r) => r.subject_type === type && r.subject_id).map((r) => r.subject_id!))];
  const uuids = (type: string) => ids(type).filter((id) => UUID.test(id));
  const names = new Map<string, string>();
  const put = (type: string, id: string, label: string | null | undefined) => {
    if (label) names.set(`${type}:${id}`, label);
  };
  const lookups: Array<Promise<void>> = [];
  const by = <T extends { id: string }>(type: string, query: (list: string[]) => Promise<T[]>, label: (row: T) => string | null) => {
    const list = uuids(type);
    if (list.length > 0) lookups.push(query(list).then((found) => found.forEach((row) => put(type, row.id, label(row)))));
  };
  by(
    'technician',
    (list) => db.selectFrom('technicians').select(['id', 'username', 'display_name']).where('id', 'in', list).execute(),
    (t) => t.display_name ?? t.username,
  );
  by(
    'integration',
    (list) => db.selectFrom('integrations').select(['id', 'name']).where('id', 'in', list).execute(),
    (r) => r.name,
  );
  by(
    'tenant',
    (list) => db.selectFrom('tenants').select(['id', 'display_name']).where('id', 'in', list).execute(),
    (r) => r.display_name,
  );
  by(
    'organization',
    (list) => db.selectFrom('organizations').select(['id', 'name']).where('id', 'in', list).execute(),
    (r) => r.name,
  );
  by(
    'contact',
    (list) => db.selectFrom('contacts').select(['id', 'first_name', 'last_name']).where('id', 'in', list).execute(),
    (c) => [c.first_name, c.last_name].filter(Boolean).join(' ') || null,
  );
  by(
    'configuration',
    (list) => db.selectFrom('configurations').select(['id', 'name']).where('id', 'in', list).execute(),
    (r) => r.name,
  );
  by(
    'vault_entry',
    (list) => db.selectFrom('vault_entries').select(['id', 'name']).where('id', 'in', list).execute(),
    (r) => r.name,
  );
  by(
    'api_token',
    (list) => db.selectFrom('api_tokens').select(['id', 'name']).where('id', 'in', list).execute(),
    (r) => r.name,
  );
  by(
    'action',
    (list) => db.selectFrom('actions').select(['id', 'summary']).where('id', 'in', list).execute(),
    (r) => r.summary,
  );
  const users = ids('microsoft_user');
  if (users.length > 0)
    lookups.push(
      db
        .selectFrom('ms_users')
        .select(['user_id as id', sql<string>`coalesce(data->>'displayName', data->>'userPrincipalName')`.as('label')])
        .where('user_id', 'in', users)
        .execute()
        .then((found) => found.forEach((u) => put('microsoft_user', u.id, u.label))),
    );
  // Decisions are "tenant row id/source id": the tenant's name says which customer.
  const decisionTenants = [
    ...new Set(rows.filter((r) => r.subject_type.endsWith('_decision') && r.subject_id).map((r) => r.subject_id!.split('/')[0]!)),
  ].filter((id) => UUID.test(id));
  if (decisionTenants.length > 0)
    lookups.push(
      db
        .selectFrom('tenants')
        .select(['id', 'display_name'])
        .where('id', 'in', decisionTenants)
        .execute()
        .then((found) => found.forEach((t) => put('tenant', t.id, t.display_name))),
    );
  await Promise.all(lookups);
  return names;
}

/**
 * Names for ids inside before/after values (an organization chosen, the technician who decided):
 * each id found as a whole value is looked up among organizations, technicians, tenants,
 * contacts and configurations.
 */
export async function auditValueNames(db: Db, rows: Array<{ before: unknown; after: unknown }>): Promise<Map<string, string>> {
  const found = new Set<string>();
  const collect = (value: unknown) => {
    if (typeof value === 'string' && UUID.test(value)) found.add(value.toLowerCase());
    else if (value && typeof value === 'object' && !Array.isArray(value)) Object.values(value).forEach((v) => collect(v));
  };
  for (const row of rows) {
    if (row.before && typeof row.before === 'object') Object.values(row.before).forEach((v) => collect(v));
    if (row.after && typeof row.after === 'object') Object.values(row.after).forEach((v) => collect(v));
  }
  const ids = [...found];
  const names = new Map<string, string>();
  if (ids.length === 0) return names;
  const [organizations, technicians, tenants, contacts, configurations] = await Promise.all([
    db.selectFrom('organizations').select(['id', 'name as label']).where('id', 'in', ids).execute(),
    db
      .selectFrom('technicians')
      .select(['id', sql<string>`coalesce(display_name, username)`.as('label')])
      .where('id', 'in', ids)
      .execute(),
    db.selectFrom('tenants').select(['id', 'display_name as label']).where('id', 'in', ids).execute(),
    db
      .selectFrom('contacts')
      .select(['id', sql<string>`concat_ws(' ', first_name, last_name)`.as('label')])
      .where('id', 'in', ids)
      .execute(),
    db.selectFrom('configurations').select(['id', 'name as label']).where('id', 'in', ids).execute(),
  ]);
  for (const row of [...organizations, ...technicians, ...tenants, ...contacts, ...configurations])
    if (row.label) names.set(row.id.toLowerCase(), row.label);
  return names;
}
