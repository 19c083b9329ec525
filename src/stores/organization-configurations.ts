// SQL of an organization's configuration list (issue 15: filters by compliance, operating system
// and stale check-in, sortable columns; issue 18: keyset paging, stores/keyset.ts). The list's
// rows are mapped to the page's shape in src/docs/organization-directory.ts.
import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { ConfigurationsTable, Database } from '../db/schema.ts';
import { decodeCursor, encodeCursor, keysetCondition, pageRows, readOrder, type SortOrder } from './keyset.ts';
import type { ComplianceState, Paging } from './tenant-lists.ts';

type Db = Kysely<Database>;

export const CONFIGURATION_SORTS = ['name', 'serialNumber', 'operatingSystem', 'complianceState', 'lastCheckIn', 'contact'] as const;
export type ConfigurationSort = (typeof CONFIGURATION_SORTS)[number];

export interface ConfigurationListFilter {
  /** A LIKE pattern over search_text, already folded (organization-directory.ts foldedContains). */
  searchPattern?: RawBuilder<string>;
  compliance?: ComplianceState;
  os?: string;
  /** Configurations whose last check-in is before this instant, or unknown. */
  checkedInBefore?: Date;
  checkedInSince?: Date;
}

const SORT_KEYS: Record<ConfigurationSort, RawBuilder<string>> = {
  name: sql`lower(g.name)`,
  serialNumber: sql`lower(coalesce(g.serial_number, ''))`,
  operatingSystem: sql`lower(coalesce(g.operating_system, '') || ' ' || coalesce(g.os_version, ''))`,
  complianceState: sql`lower(coalesce(g.compliance_state, ''))`,
  // Fixed-width UTC text sorts as the instant does; never checked in ('') sorts first.
  lastCheckIn: sql`coalesce(to_char(g.last_check_in_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '')`,
  contact: sql`lower(coalesce(k.first_name, '') || ' ' || coalesce(k.last_name, ''))`,
};

export type ConfigurationListRow = Selectable<ConfigurationsTable> & {
  contact_id_: string | null;
  first_name: string | null;
  last_name: string | null;
  sort_key: string;
};

export async function selectOrganizationConfigurations(
  db: Db,
  organizationId: string,
  filter: ConfigurationListFilter,
  sort: { field: ConfigurationSort; order: SortOrder },
  paging: Paging,
): Promise<{ rows: ConfigurationListRow[]; total: number; nextCursor: string | null; prevCursor: string | null }> {
  const keyset = paging.cursor ? decodeCursor(paging.cursor, sort.field, sort.order, { uuidIds: true }) : null;
  let query = db
    .selectFrom('configurations as g')
    .leftJoin('contacts as k', 'k.id', 'g.contact_id')
    .where('g.organization_id', '=', organizationId);
  if (filter.searchPattern) query = query.where(sql<string>`g.search_text`, 'like', filter.searchPattern);
  if (filter.compliance) query = query.where('g.compliance_state', '=', filter.compliance);
  if (filter.os) query = query.where(sql`lower(g.operating_system)`, '=', filter.os.toLowerCase());
  if (filter.checkedInBefore) {
    const before = filter.checkedInBefore;
    query = query.where((eb) => eb.or([eb('g.last_check_in_at', 'is', null), eb('g.last_check_in_at', '<', before)]));
  }
  if (filter.checkedInSince) query = query.where('g.last_check_in_at', '>=', filter.checkedInSince);
  const key = SORT_KEYS[sort.field];
  const direction = readOrder(sort.order, keyset);
  let page = query
    .selectAll('g')
    .select(['k.id as contact_id_', 'k.first_name', 'k.last_name', key.as('sort_key')])
    .orderBy(sql`${key} ${sql.raw(direction)}`)
    .orderBy('g.id', direction)
    .limit(paging.pageSize + 1);
  page = keyset ? page.where(keysetCondition(key, sql.ref('g.id'), sort.order, keyset)) : page.offset((paging.page - 1) * paging.pageSize);
  const fetched = (await page.execute()) as ConfigurationListRow[];
  const { total } = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
  return {
    ...pageRows(
      fetched,
      paging.pageSize,
      (r) => ({ key: r.sort_key, id: r.id }),
      (k) => encodeCursor(sort.field, sort.order, k),
      keyset,
      paging.page,
    ),
    total: Number(total),
  };
}

/** The operating systems of the organization's configurations, for the list's filter. */
export async function organizationOperatingSystems(db: Db, organizationId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('configurations')
    .select('operating_system')
    .distinct()
    .where('organization_id', '=', organizationId)
    .where('operating_system', 'is not', null)
    .orderBy('operating_system')
    .execute();
  return rows.map((r) => r.operating_system).filter((s): s is string => !!s);
}
