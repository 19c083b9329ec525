// The controls around a filtered, sortable, cursor-paged list (issue 15 ergonomics, issue 18
// keyset paging): sortable column headers (aria-sort, the link keeps the filters), select
// filters for the GET filter form (no JavaScript), the active filters shown and clearable one by
// one, and a pager that follows nextCursor / prevCursor. Links only: the page works without JS.
import { html, type SafeHtml } from '../html.ts';

export type ListQuery = Record<string, string | number | undefined>;

/** A link to the list with `change` applied; paging restarts unless `change` sets it, empty values are left out. */
export function listHref(path: string, query: ListQuery, change: ListQuery = {}): string {
  const params = new URLSearchParams();
  const merged: ListQuery = { ...query, page: undefined, cursor: undefined, format: undefined, ...change };
  for (const [k, v] of Object.entries(merged)) if (v !== undefined && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export interface SortState {
  sort: string;
  order: 'asc' | 'desc';
}

/**
 * A column header that sorts the list: the current column carries aria-sort and an arrow; a
 * click on it turns the order round, a click on another column sorts by it in `firstOrder`
 * (dates and numbers read newest or biggest first).
 */
export function sortHeader(options: {
  path: string;
  query: ListQuery;
  current: SortState;
  field: string;
  label: string;
  firstOrder?: 'asc' | 'desc';
}): SafeHtml {
  const active = options.current.sort === options.field;
  const next = active ? (options.current.order === 'asc' ? 'desc' : 'asc') : (options.firstOrder ?? 'asc');
  const state = active ? (options.current.order === 'asc' ? 'ascending' : 'descending') : null;
  const href = listHref(options.path, options.query, { sort: options.field, order: next });
  return html`<th scope="col" ${state ? html` aria-sort="${state}"` : ''}>
    <a href="${href}" class="sort-link"
      >${options.label}${state ? html`<span aria-hidden="true">${state === 'ascending' ? ' ↑' : ' ↓'}</span>` : ''}<span
        class="visually-hidden"
        >${`, sort ${next === 'asc' ? 'ascending' : 'descending'}`}</span
      ></a
    >
  </th>`;
}

/** Hidden inputs that keep the sort when the filter form is submitted. */
export function sortInputs(current: SortState): SafeHtml {
  return html`<input type="hidden" name="sort" value="${current.sort}" /><input type="hidden" name="order" value="${current.order}" />`;
}

export interface SelectFilterOptions {
  id: string;
  name: string;
  label: string;
  value: string | undefined;
  options: Array<[value: string, label: string]>;
  anyLabel?: string;
}

/** One select of the filter form; the first option ("any") clears it. */
export function selectFilter(options: SelectFilterOptions): SafeHtml {
  return html`<div>
    <label for="${options.id}">${options.label}</label
    ><select id="${options.id}" name="${options.name}">
      <option value="">${options.anyLabel ?? 'any'}</option>
      ${options.options.map(
        ([value, label]) => html`<option value="${value}" ${options.value === value ? html` selected` : ''}>${label}</option>`,
      )}
    </select>
  </div>`;
}

export interface ActiveFilter {
  /** The query parameter(s) the filter sets, cleared together. */
  params: string[];
  label: string;
  value: string;
}

/** The filters in force, each with a link that removes it, and one that removes them all (the sort stays). */
export function activeFilters(path: string, query: ListQuery, filters: ActiveFilter[]): SafeHtml | string {
  if (filters.length === 0) return '';
  const without = (params: string[]) => listHref(path, query, Object.fromEntries(params.map((p) => [p, undefined])));
  const all = filters.flatMap((f) => f.params);
  return html`<div class="active-filters">
    <span id="active-filters-title">Filtered by</span>
    <ul aria-labelledby="active-filters-title">
      ${filters.map(
        (f) =>
          html`<li>
            ${f.label}: <strong>${f.value}</strong>
            <a href="${without(f.params)}" aria-label="${`Remove the filter ${f.label}: ${f.value}`}">×</a>
          </li>`,
      )}
    </ul>
    <a href="${without(all)}">Clear all filters</a>
  </div>`;
}

/**
 * Previous / next links by cursor (keyset paging): the next page starts after the last row shown,
 * so its cost does not grow with its number. `page` travels along only to say "Page N".
 */
export function cursorPager(options: {
  path: string;
  query: ListQuery;
  page: number;
  pageSize: number;
  total: number;
  nextCursor: string | null;
  prevCursor: string | null;
}): SafeHtml {
  const pages = Math.max(1, Math.ceil(options.total / options.pageSize));
  const size = options.query.pageSize;
  // The first page needs no cursor: a link to it is the list's own address.
  const previous =
    options.prevCursor === null
      ? null
      : options.page <= 2
        ? listHref(options.path, options.query, { pageSize: size })
        : listHref(options.path, options.query, { pageSize: size, page: options.page - 1, cursor: options.prevCursor });
  const next =
    options.nextCursor === null
      ? null
      : listHref(options.path, options.query, { pageSize: size, page: options.page + 1, cursor: options.nextCursor });
  return html`<nav class="pager" aria-label="Pages">
    ${previous ? html`<a href="${previous}" rel="prev">← Previous</a>` : ''}<span
      >Page ${options.page} of ${pages} · ${options.total} in all</span
    >${next ? html`<a href="${next}" rel="next">Next →</a>` : ''}
  </nav>`;
}
