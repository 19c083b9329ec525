// Keyset (cursor) paging for the big lists (issue 18: page 1,500 must cost what page 1 costs).
// OFFSET makes the database walk past every earlier row; a cursor names the last row shown
// (its sort key and id, the tiebreaker) and the next page starts right after it, through the
// same index the first page uses. A cursor also names the sort it was made for, so a cursor
// from one sort order cannot silently skip or repeat rows in another.
import { sql, type RawBuilder } from 'kysely';
import { BadInput } from '../errors.ts';

export type SortOrder = 'asc' | 'desc';

/** Where a page starts: after a row (next page) or before one (previous page). */
export interface Keyset {
  key: string;
  id: string;
  direction: 'after' | 'before';
}

interface CursorPayload {
  /** The sort it belongs to: "field:order". */
  s: string;
  k: string;
  i: string;
  d: 'a' | 'b';
}

export function encodeCursor(sort: string, order: SortOrder, keyset: Keyset): string {
  const payload: CursorPayload = { s: `${sort}:${order}`, k: keyset.key, i: keyset.id, d: keyset.direction === 'after' ? 'a' : 'b' };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

// A forged cursor must not reach SQL with what Postgres refuses: NUL or lone surrogates in text
// (src/web/input-guard.ts checks the request, not what a cursor decodes to), or a non-uuid id.
// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The keyset of a cursor from a request; a cursor that is not ours or was made for another sort
 * is a 400. `uuidIds`: the list's tiebreaker is a uuid column.
 */
export function decodeCursor(cursor: string, sort: string, order: SortOrder, options: { uuidIds?: boolean } = {}): Keyset {
  let payload: Partial<CursorPayload>;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorPayload>;
  } catch {
    throw new BadInput('The cursor is not one this list gave out.', 'Start again from the first page (leave out cursor).');
  }
  if (
    typeof payload !== 'object' ||
    payload === null ||
    typeof payload.k !== 'string' ||
    typeof payload.i !== 'string' ||
    UNSAFE_TEXT.test(payload.k) ||
    UNSAFE_TEXT.test(payload.i) ||
    (options.uuidIds && !UUID.test(payload.i))
  )
    throw new BadInput('The cursor is not one this list gave out.', 'Start again from the first page (leave out cursor).');
  if (payload.s !== `${sort}:${order}`)
    throw new BadInput(
      `The cursor belongs to another sort order (${String(payload.s)}), not ${sort}:${order}.`,
      'Start again from the first page of this sort (leave out cursor).',
    );
  return { key: payload.k, id: payload.i, direction: payload.d === 'b' ? 'before' : 'after' };
}

/**
 * The WHERE condition and ORDER BY direction of one keyset page. `key` is a never-null text
 * expression (the sort key), `id` the tiebreaker column; both compare as a row value, which
 * Postgres and PGlite answer from an index on (…, key, id). A "before" page is read in the
 * reverse order and turned round by the caller (`pageRows`).
 */
export function keysetCondition(key: RawBuilder<unknown>, id: RawBuilder<unknown>, order: SortOrder, keyset: Keyset): RawBuilder<boolean> {
  const forward = (order === 'asc') === (keyset.direction === 'after');
  return forward
    ? sql<boolean>`(${key}, ${id}) > (${keyset.key}, ${keyset.id})`
    : sql<boolean>`(${key}, ${id}) < (${keyset.key}, ${keyset.id})`;
}

/** The order a query reads in: the list's order, reversed for a "before" page. */
export function readOrder(order: SortOrder, keyset: Keyset | null): SortOrder {
  if (keyset?.direction !== 'before') return order;
  return order === 'asc' ? 'desc' : 'asc';
}

export interface PagedRows<R> {
  rows: R[];
  /** A cursor for the page after this one, or null at the end. */
  nextCursor: string | null;
  /** A cursor for the page before this one, or null at the start. */
  prevCursor: string | null;
}

/**
 * Cuts the pageSize + 1 rows read into the page and its cursors. `fetched` is in read order;
 * `offsetPage` is the page number when the page was read by OFFSET (no cursor).
 */
export function pageRows<R>(
  fetched: R[],
  pageSize: number,
  keyOf: (row: R) => { key: string; id: string },
  cursorOf: (keyset: Keyset) => string,
  keyset: Keyset | null,
  offsetPage: number,
): PagedRows<R> {
  const more = fetched.length > pageSize;
  const page = fetched.slice(0, pageSize);
  if (keyset?.direction === 'before') page.reverse();
  const first = page[0];
  const last = page.at(-1);
  const hasNext = keyset?.direction === 'before' ? true : more;
  const hasPrev = keyset === null ? offsetPage > 1 : keyset.direction === 'before' ? more : true;
  return {
    rows: page,
    nextCursor: hasNext && last ? cursorOf({ ...keyOf(last), direction: 'after' }) : null,
    prevCursor: hasPrev && first ? cursorOf({ ...keyOf(first), direction: 'before' }) : null,
  };
}
