// The query parameters of a tenant's user and device lists, one definition shared by the page
// (/tenants/:id/contacts, /tenants/:id/configurations), the JSON API (/api/tenants/:id/users,
// /api/tenants/:id/devices) and their CSV export, so a filtered link means the same thing in all
// three; an organization's configurations (/organizations/:id/configurations and its API) take the
// device filters too. Filters come from GET forms as well: an empty value means "any" (no filter).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { PageQuery } from './schemas.ts';
import { CsvFormatQuery } from '../docs/export.ts';
import { COMPLIANCE_STATES, DEVICE_SORTS, USER_SORTS, type DeviceListFilter } from '../stores/tenant-lists.ts';
import type { DeviceListQuery, UserListQuery } from './services/tenant-contents.ts';
import type { Paging } from '../stores/tenant-lists.ts';
import { CONFIGURATION_SORTS } from '../stores/organization-configurations.ts';
import type { ConfigurationListQuery } from '../docs/organization-directory.ts';

export const CONTACT_DECISIONS = ['match', 'create', 'review', 'skip', 'pending', 'excluded'] as const;

const orEmpty = <T extends TSchema>(schema: T, description?: string) =>
  Type.Optional(Type.Union([schema, Type.Literal('')], description ? { description } : {}));
const literals = <V extends string>(values: readonly V[]) => Type.Union(values.map((v) => Type.Literal(v)));

const ListPaging = {
  ...PageQuery,
  cursor: Type.Optional(
    Type.String({
      maxLength: 1000,
      description:
        'nextCursor or prevCursor of a previous answer: the page right after (or before) it, read by keyset, as fast at page 1,500 as ' +
        'at page 1. It only fits the sort and order it came with; page is then only the page number shown.',
    }),
  ),
  order: orEmpty(literals(['asc', 'desc']), 'asc (default) or desc'),
};

export const UserListQuerySchema = Type.Object({
  ...ListPaging,
  sort: orEmpty(literals(USER_SORTS), 'the column to sort by (default name); another value answers 400'),
  decision: orEmpty(literals(CONTACT_DECISIONS)),
  search: Type.Optional(Type.String({ maxLength: 200 })),
  group: Type.Optional(Type.String({ maxLength: 64, description: "a group's object id: its users, nested groups included" })),
  department: Type.Optional(Type.String({ maxLength: 200 })),
  account: orEmpty(literals(['enabled', 'disabled']), 'accountEnabled in Microsoft'),
  license: orEmpty(literals(['licensed', 'unlicensed']), 'licensed: holds at least one licence'),
  activity: orEmpty(
    literals(['active', 'inactive']),
    "inactive: no sign-in, app activity or device check-in within the integration's inactive days (disabled accounts are neither)",
  ),
  ...CsvFormatQuery,
});
export type UserListQueryString = Static<typeof UserListQuerySchema>;

const DeviceFilters = {
  compliance: orEmpty(literals(COMPLIANCE_STATES), "Intune's complianceState"),
  os: Type.Optional(Type.String({ maxLength: 100, description: 'operating system as Intune names it (Windows, iOS, Android, macOS…)' })),
  checkIn: orEmpty(literals(['stale', 'recent']), 'stale: no check-in for staleDays days (or never); recent: a check-in within them'),
  staleDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, default: 30, description: 'days without a check-in (default 30)' })),
  ...CsvFormatQuery,
};

export const DeviceListQuerySchema = Type.Object({
  ...ListPaging,
  sort: orEmpty(literals(DEVICE_SORTS), 'the column to sort by (default name); another value answers 400'),
  search: Type.Optional(Type.String({ maxLength: 200 })),
  ...DeviceFilters,
});
export type DeviceListQueryString = Static<typeof DeviceListQuerySchema>;

export const ConfigurationListQuerySchema = Type.Object({
  ...ListPaging,
  sort: orEmpty(literals(CONFIGURATION_SORTS), 'the column to sort by (default name); another value answers 400'),
  search: Type.Optional(Type.String({ maxLength: 200, description: 'name or serial number' })),
  ...DeviceFilters,
});
export type ConfigurationListQueryString = Static<typeof ConfigurationListQuerySchema>;

const given = <T extends string>(value: T | '' | undefined): T | undefined => (value ? value : undefined);

/** The service's filter, sort and paging from the query string (empty values dropped). */
export function userListQuery(q: UserListQueryString): UserListQuery & Paging {
  return {
    page: q.page,
    pageSize: q.pageSize,
    cursor: given(q.cursor),
    sort: given(q.sort) as UserListQuery['sort'],
    order: given(q.order) as UserListQuery['order'],
    decision: given(q.decision),
    search: given(q.search),
    group: given(q.group),
    department: given(q.department),
    account: given(q.account) as UserListQuery['account'],
    license: given(q.license) as UserListQuery['license'],
    activity: given(q.activity) as UserListQuery['activity'],
  };
}

export function deviceListQuery(q: DeviceListQueryString): DeviceListQuery & Paging {
  return {
    page: q.page,
    pageSize: q.pageSize,
    cursor: given(q.cursor),
    sort: given(q.sort) as DeviceListQuery['sort'],
    order: given(q.order) as DeviceListQuery['order'],
    search: given(q.search),
    compliance: given(q.compliance) as DeviceListFilter['compliance'],
    os: given(q.os),
    checkIn: given(q.checkIn) as DeviceListQuery['checkIn'],
    staleDays: q.staleDays,
  };
}

export function configurationListQuery(q: ConfigurationListQueryString): ConfigurationListQuery & Paging {
  return { ...deviceListQuery({ ...q, sort: undefined }), sort: given(q.sort) as ConfigurationListQuery['sort'] };
}

/**
 * Every row of the filtered list for the CSV export, a keyset page at a time: the export walks
 * the list by cursor, so its cost grows with its rows, not with their square (OFFSET).
 */
export function exportPages<T, Q extends Paging>(
  query: Q,
  list: (query: Q) => Promise<{ items: T[]; nextCursor: string | null }>,
): (page: number, pageSize: number) => Promise<T[]> {
  let cursor: string | undefined;
  let done = false;
  return async (page, pageSize) => {
    if (done) return [];
    const result = await list({ ...query, page: 1, pageSize, cursor: page === 1 ? undefined : cursor });
    cursor = result.nextCursor ?? undefined;
    done = cursor === undefined;
    return result.items;
  };
}
