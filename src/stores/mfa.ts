// SQL for MFA registration (migration T0400): per Microsoft user what userRegistrationDetails
// said, and per tenant whether it could be read. Writes compare first (content_hash, the stored
// state), so a re-sync that finds nothing new writes no row; absence is believed only from a
// complete listing and then marked (removed_at), never deleted.
import { sql, type Kysely } from 'kysely';
import type { Database, TenantMfaState } from '../db/schema.ts';
import type { GraphUserRegistration } from '../microsoft/authentication-methods.ts';
import { contentHash } from './staging.ts';
import { usersInGroupSql } from './groups.ts';

type Db = Kysely<Database>;
const CHUNK = 500;

export interface RegistrationWrites {
  inserted: number;
  changed: number;
  unchanged: number;
  removed: number;
}

/** Stores a complete listing of a tenant's registrations; users not in it are marked removed. */
export async function saveRegistrationDetails(
  db: Db,
  tenantId: string,
  rows: GraphUserRegistration[],
  now: Date,
): Promise<RegistrationWrites> {
  const existing = new Map(
    (
      await db
        .selectFrom('ms_user_registration_details')
        .select(['user_id', 'content_hash', 'removed_at'])
        .where('tenant_id', '=', tenantId)
        .execute()
    ).map((r) => [r.user_id, r]),
  );
  const writes: RegistrationWrites = { inserted: 0, changed: 0, unchanged: 0, removed: 0 };
  const seen = new Set<string>();
  const upserts = [];
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    const hash = contentHash(row);
    const before = existing.get(row.id);
    if (before && before.content_hash === hash && before.removed_at === null) {
      writes.unchanged++;
      continue;
    }
    if (before) writes.changed++;
    else writes.inserted++;
    upserts.push({
      tenant_id: tenantId,
      user_id: row.id,
      user_principal_name: row.userPrincipalName,
      is_admin: row.isAdmin,
      is_mfa_registered: row.isMfaRegistered,
      is_mfa_capable: row.isMfaCapable,
      methods_registered: JSON.stringify(row.methodsRegistered),
      default_method: row.defaultMethod,
      data: JSON.stringify(row),
      content_hash: hash,
      first_seen_at: now,
      last_seen_at: now,
      removed_at: null,
    });
  }
  for (let i = 0; i < upserts.length; i += CHUNK) {
    await db
      .insertInto('ms_user_registration_details')
      .values(upserts.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'user_id']).doUpdateSet((eb) => ({
          user_principal_name: eb.ref('excluded.user_principal_name'),
          is_admin: eb.ref('excluded.is_admin'),
          is_mfa_registered: eb.ref('excluded.is_mfa_registered'),
          is_mfa_capable: eb.ref('excluded.is_mfa_capable'),
          methods_registered: eb.ref('excluded.methods_registered'),
          default_method: eb.ref('excluded.default_method'),
          data: eb.ref('excluded.data'),
          content_hash: eb.ref('excluded.content_hash'),
          last_seen_at: eb.ref('excluded.last_seen_at'),
          removed_at: null,
        })),
      )
      .execute();
  }
  const gone = [...existing.values()].filter((r) => r.removed_at === null && !seen.has(r.user_id)).map((r) => r.user_id);
  for (let i = 0; i < gone.length; i += CHUNK) {
    await db
      .updateTable('ms_user_registration_details')
      .set({ removed_at: now })
      .where('tenant_id', '=', tenantId)
      .where('user_id', 'in', gone.slice(i, i + CHUNK))
      .execute();
  }
  writes.removed = gone.length;
  return writes;
}

export interface MfaStatus {
  state: TenantMfaState;
  reason: string | null;
  action: string | null;
  changedAt: Date;
}

/** Records whether the tenant's report could be read; writes only when that changed. */
export async function setMfaStatus(
  db: Db,
  tenantId: string,
  status: { state: TenantMfaState; reason: string | null; action: string | null },
  now: Date,
): Promise<boolean> {
  const before = await mfaStatusOf(db, tenantId);
  if (before && before.state === status.state && before.reason === status.reason && before.action === status.action) return false;
  await db
    .insertInto('tenant_mfa_status')
    .values({ tenant_id: tenantId, ...status, changed_at: now })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ ...status, changed_at: now }))
    .execute();
  return true;
}

export async function mfaStatusOf(db: Db, tenantId: string): Promise<MfaStatus | null> {
  const row = await db.selectFrom('tenant_mfa_status').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  return row ? { state: row.state, reason: row.reason, action: row.action, changedAt: new Date(row.changed_at) } : null;
}

export interface UserMfaRow {
  userId: string;
  displayName: string;
  userPrincipalName: string | null;
  accountEnabled: boolean | null;
  userType: string | null;
  department: string | null;
  /** null: the report has no row for this user (new since Microsoft's last refresh). */
  registered: boolean | null;
  capable: boolean | null;
  isAdmin: boolean;
  methods: string[];
  defaultMethod: string | null;
}

/** Which users an MFA list shows: one user, a group's (nested groups too), a department's, a name. */
export interface UserMfaFilter {
  userId?: string;
  group?: string;
  department?: string;
  search?: string;
}

/**
 * Every present Microsoft user of the tenant (narrowed by `options`) with what the report says
 * about their MFA. Admins without MFA first, then users without MFA, then the rest; by name.
 */
export async function userMfaRows(db: Db, tenantId: string, options: UserMfaFilter = {}): Promise<UserMfaRow[]> {
  let query = db
    .selectFrom('ms_users as u')
    .leftJoin('ms_user_registration_details as r', (join) =>
      join.onRef('r.tenant_id', '=', 'u.tenant_id').onRef('r.user_id', '=', 'u.user_id').on('r.removed_at', 'is', null),
    )
    .select([
      'u.user_id',
      sql<string | null>`u.data->>'displayName'`.as('display_name'),
      sql<string | null>`u.data->>'userPrincipalName'`.as('upn'),
      sql<string | null>`u.data->>'accountEnabled'`.as('account_enabled'),
      sql<string | null>`u.data->>'userType'`.as('user_type'),
      sql<string | null>`u.data->>'department'`.as('department'),
      'r.is_mfa_registered',
      'r.is_mfa_capable',
      'r.is_admin',
      'r.methods_registered',
      'r.default_method',
    ])
    .where('u.tenant_id', '=', tenantId)
    .where('u.removed_at', 'is', null);
  if (options.userId !== undefined) query = query.where('u.user_id', '=', options.userId);
  // The same narrowing as the tenant's user list (src/web/services/tenant-contents.ts).
  if (options.group) query = query.where('u.user_id', 'in', usersInGroupSql(tenantId, options.group));
  if (options.department) query = query.where(sql`u.data->>'department'`, '=', options.department);
  if (options.search?.trim()) {
    const pattern = `%${options.search
      .trim()
      .toLowerCase()
      .replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(coalesce(u.data->>'displayName', ''))`, 'like', pattern),
        eb(sql`lower(coalesce(u.data->>'userPrincipalName', ''))`, 'like', pattern),
        eb(sql`lower(coalesce(u.data->>'mail', ''))`, 'like', pattern),
      ]),
    );
  }
  const rows = await query.execute();
  const mapped: UserMfaRow[] = rows.map((r) => ({
    userId: r.user_id,
    displayName: r.display_name ?? r.upn ?? r.user_id,
    userPrincipalName: r.upn,
    accountEnabled: r.account_enabled === null ? null : r.account_enabled === 'true',
    userType: r.user_type,
    department: r.department,
    registered: r.is_mfa_registered ?? null,
    capable: r.is_mfa_capable ?? null,
    isAdmin: r.is_admin ?? false,
    methods: Array.isArray(r.methods_registered) ? (r.methods_registered as string[]) : [],
    defaultMethod: r.default_method ?? null,
  }));
  const rank = (u: UserMfaRow) => (u.isAdmin && u.registered !== true ? 0 : u.registered !== true ? 1 : 2);
  return mapped.sort((a, b) => rank(a) - rank(b) || a.displayName.localeCompare(b.displayName, 'en', { sensitivity: 'base' }));
}

/**
 * Per tenant row: enabled member users and how many of them have MFA registered, in one query.
 * A member is a user whose userType is Member (or unset); enabled unless accountEnabled is false.
 */
export async function mfaCounts(
  db: Db,
  tenantIds?: string[],
): Promise<Array<{ tenantId: string; state: TenantMfaState | null; enabledMembers: number; registered: number }>> {
  let query = db
    .selectFrom('tenants as t')
    .leftJoin('tenant_mfa_status as s', 's.tenant_id', 't.id')
    .select([
      't.id as tenant_id',
      's.state',
      sql<string>`(select count(*) from ms_users u where u.tenant_id = t.id and u.removed_at is null
        and coalesce(u.data->>'accountEnabled', 'true') <> 'false' and coalesce(u.data->>'userType', 'Member') = 'Member')`.as('members'),
      sql<string>`(select count(*) from ms_users u join ms_user_registration_details r
          on r.tenant_id = u.tenant_id and r.user_id = u.user_id and r.removed_at is null and r.is_mfa_registered
        where u.tenant_id = t.id and u.removed_at is null
        and coalesce(u.data->>'accountEnabled', 'true') <> 'false' and coalesce(u.data->>'userType', 'Member') = 'Member')`.as(
        'registered',
      ),
    ]);
  if (tenantIds) {
    if (tenantIds.length === 0) return [];
    query = query.where('t.id', 'in', tenantIds);
  }
  const rows = await query.execute();
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    state: r.state ?? null,
    enabledMembers: Number(r.members),
    registered: Number(r.registered),
  }));
}
