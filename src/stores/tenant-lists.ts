// SQL of one tenant's user and device lists (issue 15: filters and sortable columns; issue 18:
// keyset paging). Every filter narrows the rows, the count and the CSV export alike; every sort
// key is a never-null text expression with the row's id as tiebreaker, so a cursor (stores/keyset.ts)
// continues exactly where the last page ended. The default user order matches the index
// ms_users_tenant_display_name_index (migrations/2026-11-23T0400_tenant_page_indexes.ts).
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import { usersInGroupSql } from './groups.ts';
import { decodeCursor, encodeCursor, keysetCondition, pageRows, readOrder, type Keyset, type SortOrder } from './keyset.ts';

type Db = Kysely<Database>;

export const USER_SORTS = ['name', 'userPrincipalName', 'account', 'decision', 'rule', 'department'] as const;
export type UserSort = (typeof USER_SORTS)[number];
export const DEVICE_SORTS = [
  'name',
  'serialNumber',
  'operatingSystem',
  'complianceState',
  'lastCheckIn',
  'decision',
  'primaryUser',
] as const;
export type DeviceSort = (typeof DEVICE_SORTS)[number];

/** Intune's managedDevice complianceState values (https://learn.microsoft.com/graph/api/resources/intune-devices-compliancestate). */
export const COMPLIANCE_STATES = ['compliant', 'noncompliant', 'inGracePeriod', 'conflict', 'error', 'unknown', 'configManager'] as const;
export type ComplianceState = (typeof COMPLIANCE_STATES)[number];

export interface Paging {
  /** Read by OFFSET when there is no cursor (the documented `page=N`). */
  page: number;
  pageSize: number;
  /** A cursor from nextCursor / prevCursor: the page is read by keyset and `page` is only its label. */
  cursor?: string;
}

export interface UserListFilter {
  decision?: string;
  search?: string;
  group?: string;
  department?: string;
  account?: 'enabled' | 'disabled';
  license?: 'licensed' | 'unlicensed';
  /** Only these users (the inactivity filter, judged by src/reports/inactivity.ts). */
  userIds?: string[];
}

export interface DeviceListFilter {
  search?: string;
  compliance?: ComplianceState;
  /** Operating system family as Intune reports it (Windows, iOS, Android, macOS…), case-insensitive. */
  os?: string;
  /** Devices whose last check-in is before this instant, or that never checked in. */
  checkedInBefore?: string;
  /** Devices that checked in at or after this instant. */
  checkedInSince?: string;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** `%text%` for LIKE, with LIKE's own wildcards taken literally. */
function containsPattern(search: string): string {
  return `%${search
    .trim()
    .toLowerCase()
    .replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

const USER_SORT_KEYS: Record<UserSort, RawBuilder<string>> = {
  name: sql`lower(coalesce(u.data->>'displayName', u.data->>'userPrincipalName', ''))`,
  userPrincipalName: sql`lower(coalesce(u.data->>'userPrincipalName', ''))`,
  // 'false' < 'true': ascending lists disabled accounts first.
  account: sql`coalesce(u.data->>'accountEnabled', '')`,
  decision: sql`coalesce(d.state, 'pending')`,
  rule: sql`coalesce(d.rule, '')`,
  department: sql`lower(coalesce(u.data->>'department', ''))`,
};

/** How many licences the user holds, 0 when Graph sent no array. */
const LICENSE_COUNT = sql<number>`(case when jsonb_typeof(u.data->'assignedLicenses') = 'array'
  then jsonb_array_length(u.data->'assignedLicenses') else 0 end)`;

export interface TenantUserListRow {
  user_id: string;
  data: unknown;
  removed_at: Date | null;
  state: string | null;
  rule: string | null;
  reason: string | null;
  target_id: string | null;
  candidates: unknown;
  decided_by_technician: boolean | null;
  sort_key: string;
}

export async function selectTenantUsers(
  db: Db,
  tenantId: string,
  filter: UserListFilter,
  sort: { field: UserSort; order: SortOrder },
  paging: Paging,
): Promise<{
  rows: TenantUserListRow[];
  total: number;
  counts: Record<string, number>;
  nextCursor: string | null;
  prevCursor: string | null;
}> {
  const keyset = paging.cursor ? decodeCursor(paging.cursor, sort.field, sort.order) : null;
  const base = () => {
    let q = db
      .selectFrom('ms_users as u')
      .leftJoin('effective_match_decisions as d', (j) =>
        j.onRef('d.tenant_id', '=', 'u.tenant_id').onRef('d.source_id', '=', 'u.user_id').on('d.kind', '=', 'contact'),
      )
      .where('u.tenant_id', '=', tenantId);
    // Every filter but the decision narrows the per-decision counts as well.
    if (filter.group) q = q.where('u.user_id', 'in', usersInGroupSql(tenantId, filter.group));
    if (filter.department) q = q.where(sql`u.data->>'department'`, '=', filter.department);
    if (filter.account) q = q.where(sql`u.data->>'accountEnabled'`, '=', filter.account === 'enabled' ? 'true' : 'false');
    if (filter.license) q = q.where(LICENSE_COUNT, filter.license === 'licensed' ? '>' : '=', 0);
    if (filter.userIds) q = q.where(sql<boolean>`u.user_id = any(${filter.userIds}::text[])`);
    if (filter.search?.trim()) {
      const pattern = containsPattern(filter.search);
      q = q.where((eb) =>
        eb.or([
          eb(sql`lower(coalesce(u.data->>'displayName', ''))`, 'like', pattern),
          eb(sql`lower(coalesce(u.data->>'userPrincipalName', ''))`, 'like', pattern),
          eb(sql`lower(coalesce(u.data->>'mail', ''))`, 'like', pattern),
        ]),
      );
    }
    return q;
  };
  let query = base();
  if (filter.decision)
    query =
      filter.decision === 'pending'
        ? query.where((eb) => eb.or([eb('d.state', '=', 'pending'), eb('d.state', 'is', null)]))
        : query.where('d.state', '=', filter.decision as never);
  const key = USER_SORT_KEYS[sort.field];
  const direction = readOrder(sort.order, keyset);
  let page = query
    .select([
      'u.user_id',
      'u.data',
      'u.removed_at',
      'd.state',
      'd.rule',
      'd.reason',
      'd.target_id',
      'd.candidates',
      'd.decided_by_technician',
      key.as('sort_key'),
    ])
    .orderBy(sql`${key} ${sql.raw(direction)}`)
    .orderBy('u.user_id', direction)
    .limit(paging.pageSize + 1);
  page = keyset
    ? page.where(keysetCondition(key, sql.ref('u.user_id'), sort.order, keyset))
    : page.offset((paging.page - 1) * paging.pageSize);
  const fetched = (await page.execute()) as TenantUserListRow[];
  const { total } = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
  const countRows = await base()
    .select([sql<string>`coalesce(d.state, 'pending')`.as('state'), (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy(sql`coalesce(d.state, 'pending')`)
    .execute();
  const paged = pageRows(
    fetched,
    paging.pageSize,
    (r) => ({ key: r.sort_key, id: r.user_id }),
    (k: Keyset) => encodeCursor(sort.field, sort.order, k),
    keyset,
    paging.page,
  );
  return {
    ...paged,
    total: Number(total),
    counts: Object.fromEntries(countRows.map((c) => [c.state, Number(c.n)])),
  };
}

const DEVICE_SORT_KEYS: Record<DeviceSort, RawBuilder<string>> = {
  name: sql`lower(coalesce(m.data->>'deviceName', ''))`,
  serialNumber: sql`lower(coalesce(m.data->>'serialNumber', ''))`,
  operatingSystem: sql`lower(coalesce(m.data->>'operatingSystem', '') || ' ' || coalesce(m.data->>'osVersion', ''))`,
  complianceState: sql`lower(coalesce(m.data->>'complianceState', ''))`,
  // ISO 8601 in UTC sorts as text; Graph's "never" (0001-01-01…) sorts first.
  lastCheckIn: sql`coalesce(m.data->>'lastSyncDateTime', '')`,
  decision: sql`coalesce(d.state, 'pending')`,
  primaryUser: sql`lower(coalesce(m.data->>'userPrincipalName', m.data->>'userDisplayName', ''))`,
};

export interface TenantDeviceListRow {
  device_id: string;
  data: unknown;
  state: string | null;
  rule: string | null;
  configuration_id: string | null;
  configuration_name: string | null;
  contact_id: string | null;
  first_name: string | null;
  last_name: string | null;
  sort_key: string;
}

export async function selectTenantDevices(
  db: Db,
  tenantId: string,
  filter: DeviceListFilter,
  sort: { field: DeviceSort; order: SortOrder },
  paging: Paging,
): Promise<{ rows: TenantDeviceListRow[]; total: number; nextCursor: string | null; prevCursor: string | null }> {
  const keyset = paging.cursor ? decodeCursor(paging.cursor, sort.field, sort.order) : null;
  let query = db
    .selectFrom('ms_managed_devices as m')
    .leftJoin('effective_match_decisions as d', (j) =>
      j.onRef('d.tenant_id', '=', 'm.tenant_id').onRef('d.source_id', '=', 'm.device_id').on('d.kind', '=', 'configuration'),
    )
    .leftJoin('configurations as c', 'c.id', 'd.target_id')
    .leftJoin('contacts as k', 'k.id', 'c.contact_id')
    .where('m.tenant_id', '=', tenantId)
    .where('m.removed_at', 'is', null);
  if (filter.search?.trim()) {
    const pattern = containsPattern(filter.search);
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(coalesce(m.data->>'deviceName', ''))`, 'like', pattern),
        eb(sql`lower(coalesce(m.data->>'serialNumber', ''))`, 'like', pattern),
      ]),
    );
  }
  if (filter.compliance) query = query.where(sql`m.data->>'complianceState'`, '=', filter.compliance);
  if (filter.os) query = query.where(sql`lower(m.data->>'operatingSystem')`, '=', filter.os.toLowerCase());
  // Graph's "never" is 0001-01-01T00:00:00Z, which is before any threshold; a missing date is never too.
  if (filter.checkedInBefore) query = query.where(sql`coalesce(m.data->>'lastSyncDateTime', '')`, '<', filter.checkedInBefore);
  if (filter.checkedInSince) query = query.where(sql`coalesce(m.data->>'lastSyncDateTime', '')`, '>=', filter.checkedInSince);
  const key = DEVICE_SORT_KEYS[sort.field];
  const direction = readOrder(sort.order, keyset);
  let page = query
    .select([
      'm.device_id',
      'm.data',
      'd.state',
      'd.rule',
      'c.id as configuration_id',
      'c.name as configuration_name',
      'k.id as contact_id',
      'k.first_name',
      'k.last_name',
      key.as('sort_key'),
    ])
    .orderBy(sql`${key} ${sql.raw(direction)}`)
    .orderBy('m.device_id', direction)
    .limit(paging.pageSize + 1);
  page = keyset
    ? page.where(keysetCondition(key, sql.ref('m.device_id'), sort.order, keyset))
    : page.offset((paging.page - 1) * paging.pageSize);
  const fetched = (await page.execute()) as TenantDeviceListRow[];
  const { total } = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
  return {
    ...pageRows(
      fetched,
      paging.pageSize,
      (r) => ({ key: r.sort_key, id: r.device_id }),
      (k: Keyset) => encodeCursor(sort.field, sort.order, k),
      keyset,
      paging.page,
    ),
    total: Number(total),
  };
}

/** The operating systems of the tenant's present devices, for the device list's filter. */
export async function tenantDeviceOperatingSystems(db: Db, tenantId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('ms_managed_devices')
    .select(sql<string>`data->>'operatingSystem'`.as('os'))
    .distinct()
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .where(sql`data->>'operatingSystem'`, 'is not', null)
    .orderBy('os')
    .execute();
  return rows.map((r) => str(r.os)).filter((s): s is string => !!s);
}
