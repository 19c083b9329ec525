// The filters, active-filter list, sortable header row and pager of a tenant's user list
// (/tenants/:id/contacts) and device list (/tenants/:id/configurations), kept apart from the row
// markup in review-pages.ts. The query parameters are src/web/tenant-list-query.ts's.
import { html, type SafeHtml } from '../html.ts';
import type { DeviceListQuery, UserListQuery } from '../services/tenant-contents.ts';
import { DEFAULT_STALE_DAYS } from '../services/tenant-contents.ts';
import type { Paging } from '../../stores/tenant-lists.ts';
import { COMPLIANCE_STATES } from '../../stores/tenant-lists.ts';
import { activeFilters, selectFilter, sortHeader, sortInputs, type ActiveFilter, type ListQuery, type SortState } from './list-controls.ts';
import { CONTACT_DECISIONS } from '../tenant-list-query.ts';
import { PageQuery } from '../schemas.ts';

const DEFAULT_PAGE_SIZE = PageQuery.pageSize.default as number;

export interface ListControls {
  /** The list's filters and sort as link parameters (no paging). */
  query: ListQuery;
  sort: SortState;
  /** Further selects for the filter form, and the hidden sort inputs. */
  formExtra: SafeHtml;
  /** The filters in force, clearable. */
  active: SafeHtml | string;
  filtered: boolean;
  /** The header cell of a sortable column. */
  header: (field: string, label: string, firstOrder?: 'asc' | 'desc') => SafeHtml;
  /** The query the CSV export link repeats. */
  csvQuery: Record<string, string | undefined>;
}

function controls(path: string, query: ListQuery, sort: SortState, formExtra: SafeHtml, filters: ActiveFilter[]): ListControls {
  const linkQuery = { ...query, sort: sort.sort, order: sort.order };
  const csvQuery = Object.fromEntries(Object.entries(linkQuery).map(([k, v]) => [k, v === undefined ? undefined : String(v)]));
  delete csvQuery.pageSize;
  return {
    query: linkQuery,
    sort,
    formExtra: html`${formExtra}${sortInputs(sort)}`,
    active: activeFilters(path, linkQuery, filters),
    filtered: filters.length > 0,
    header: (field, label, firstOrder) => sortHeader({ path, query: linkQuery, current: sort, field, label, firstOrder }),
    csvQuery,
  };
}

const ACCOUNT_LABELS: Record<string, string> = { enabled: 'enabled', disabled: 'disabled' };
const LICENSE_LABELS: Record<string, string> = { licensed: 'licensed', unlicensed: 'no licence' };
const ACTIVITY_LABELS: Record<string, string> = { inactive: 'inactive', active: 'active' };

export function userListControls(options: {
  tenantId: string;
  filter: UserListQuery & Paging;
  groups: Array<{ groupId: string; displayName: string }>;
  departments: string[];
  inactiveDays: number;
}): ListControls {
  const f = options.filter;
  const path = `/tenants/${options.tenantId}/contacts`;
  const query: ListQuery = {
    search: f.search,
    group: f.group,
    department: f.department,
    decision: f.decision,
    account: f.account,
    license: f.license,
    activity: f.activity,
    pageSize: f.pageSize === DEFAULT_PAGE_SIZE ? undefined : f.pageSize,
  };
  const groupName = options.groups.find((g) => g.groupId === f.group)?.displayName ?? f.group;
  const filters: ActiveFilter[] = [
    f.search ? { params: ['search'], label: 'Search', value: f.search } : null,
    f.group ? { params: ['group'], label: 'Group', value: groupName ?? '' } : null,
    f.department ? { params: ['department'], label: 'Department', value: f.department } : null,
    f.decision ? { params: ['decision'], label: 'Decision', value: f.decision } : null,
    f.account ? { params: ['account'], label: 'Account', value: ACCOUNT_LABELS[f.account] ?? f.account } : null,
    f.license ? { params: ['license'], label: 'Licences', value: LICENSE_LABELS[f.license] ?? f.license } : null,
    f.activity ? { params: ['activity'], label: 'Activity', value: ACTIVITY_LABELS[f.activity] ?? f.activity } : null,
  ].filter((x): x is ActiveFilter => x !== null);
  const extra = html`${selectFilter({
    id: 'c-group',
    name: 'group',
    label: 'Group',
    value: f.group,
    options: options.groups.map((g) => [g.groupId, g.displayName]),
  })}
  ${selectFilter({
    id: 'c-department',
    name: 'department',
    label: 'Department',
    value: f.department,
    options: options.departments.map((d) => [d, d]),
  })}
  ${selectFilter({
    id: 'c-decision',
    name: 'decision',
    label: 'Decision',
    value: f.decision,
    options: CONTACT_DECISIONS.map((d) => [d, d]),
  })}
  ${selectFilter({ id: 'c-account', name: 'account', label: 'Account', value: f.account, options: Object.entries(ACCOUNT_LABELS) })}
  ${selectFilter({ id: 'c-license', name: 'license', label: 'Licences', value: f.license, options: Object.entries(LICENSE_LABELS) })}
  ${selectFilter({
    id: 'c-activity',
    name: 'activity',
    label: 'Activity',
    value: f.activity,
    options: [
      ['inactive', `inactive (${options.inactiveDays}+ days)`],
      ['active', 'active'],
    ],
  })}`;
  return controls(path, query, { sort: f.sort ?? 'name', order: f.order ?? 'asc' }, extra, filters);
}

const COMPLIANCE_LABELS: Record<string, string> = {
  compliant: 'compliant',
  noncompliant: 'not compliant',
  inGracePeriod: 'in grace period',
  conflict: 'conflict',
  error: 'error',
  unknown: 'unknown',
  configManager: 'Configuration Manager',
};

/** The device filters, for a tenant's Intune devices and an organization's configurations alike. */
export function deviceListControls(options: {
  path: string;
  filter: Omit<DeviceListQuery, 'sort'> & { sort?: string } & Paging;
  operatingSystems: string[];
}): ListControls {
  const f = options.filter;
  const path = options.path;
  const staleDays = f.staleDays ?? DEFAULT_STALE_DAYS;
  const query: ListQuery = {
    search: f.search,
    compliance: f.compliance,
    os: f.os,
    checkIn: f.checkIn,
    staleDays: f.checkIn && staleDays !== DEFAULT_STALE_DAYS ? staleDays : undefined,
    pageSize: f.pageSize === DEFAULT_PAGE_SIZE ? undefined : f.pageSize,
  };
  const checkInLabel = (v: string) => (v === 'stale' ? `no check-in for ${staleDays} days` : `checked in within ${staleDays} days`);
  const filters: ActiveFilter[] = [
    f.search ? { params: ['search'], label: 'Search', value: f.search } : null,
    f.compliance ? { params: ['compliance'], label: 'Compliance', value: COMPLIANCE_LABELS[f.compliance] ?? f.compliance } : null,
    f.os ? { params: ['os'], label: 'OS', value: f.os } : null,
    f.checkIn ? { params: ['checkIn', 'staleDays'], label: 'Check-in', value: checkInLabel(f.checkIn) } : null,
  ].filter((x): x is ActiveFilter => x !== null);
  const extra = html`${selectFilter({
    id: 'd-compliance',
    name: 'compliance',
    label: 'Compliance',
    value: f.compliance,
    options: COMPLIANCE_STATES.map((c) => [c, COMPLIANCE_LABELS[c] ?? c]),
  })}
  ${selectFilter({
    id: 'd-os',
    name: 'os',
    label: 'OS',
    value: f.os,
    options: [...new Set([...options.operatingSystems, ...(f.os ? [f.os] : [])])].map((o) => [o, o]),
  })}
  ${selectFilter({
    id: 'd-check-in',
    name: 'checkIn',
    label: 'Check-in',
    value: f.checkIn,
    options: [
      ['stale', checkInLabel('stale')],
      ['recent', checkInLabel('recent')],
    ],
  })}
  ${f.checkIn && staleDays !== DEFAULT_STALE_DAYS ? html`<input type="hidden" name="staleDays" value="${staleDays}" />` : ''}`;
  return controls(path, query, { sort: f.sort ?? 'name', order: f.order ?? 'asc' }, extra, filters);
}
