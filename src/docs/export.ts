// The one CSV writer behind every list endpoint and list page (?format=csv or Accept: text/csv).
//
// - UTF-8 with a byte order mark, so Excel reads accents and non-Latin names right; CRLF lines
//   and RFC 4180 quoting.
// - Formula injection: a cell starting with =, +, -, @, tab or carriage return is run as a
//   formula by spreadsheet programs (OWASP "CSV Injection"); such cells get a leading apostrophe,
//   which the programs show as text. Customer data (tenant, user, device names) is hostile.
// - Streamed: rows are fetched a page at a time with the list's own filters and written as they
//   come, so an export of 100,000 contacts never holds the table in memory.
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';

export interface CsvColumn<T> {
  header: string;
  value: (row: T) => unknown;
}

const BOM = '\uFEFF';
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
/** Rows fetched per query while exporting: the services' own paging, bigger than a page on screen. */
export const EXPORT_PAGE_SIZE = 500;

/** The `format` query parameter of list routes. */
export const CsvFormatQuery = {
  format: Type.Optional(
    Type.Literal('csv', { description: 'csv: the whole list (every page, same filters) as CSV; or send Accept: text/csv' }),
  ),
};

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (value instanceof Date) text = value.toISOString();
  else if (Array.isArray(value)) text = value.map((v) => (v === null || v === undefined ? '' : String(v))).join('; ');
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** BOM and header row, then one line per row of every page, until a page comes back short. */
export async function* csvLines<T>(
  columns: Array<CsvColumn<T>>,
  fetchPage: (page: number, pageSize: number) => Promise<T[]>,
): AsyncGenerator<string> {
  yield BOM + csvLine(columns.map((c) => c.header));
  for (let page = 1; ; page++) {
    const rows = await fetchPage(page, EXPORT_PAGE_SIZE);
    if (rows.length > 0) yield rows.map((row) => csvLine(columns.map((c) => c.value(row)))).join('');
    if (rows.length < EXPORT_PAGE_SIZE) return;
  }
}

/** CSV was asked for: ?format=csv, or an Accept header naming text/csv. */
export function wantsCsv(request: FastifyRequest): boolean {
  const format = (request.query as Record<string, unknown> | undefined)?.format;
  if (format === 'csv') return true;
  const accept = request.headers.accept;
  return typeof accept === 'string' && /(^|,)\s*text\/csv\b/i.test(accept);
}

/** Streams the list as a CSV download named `${name}-YYYY-MM-DD.csv`. */
export function sendCsv<T>(
  reply: FastifyReply,
  name: string,
  now: Date,
  columns: Array<CsvColumn<T>>,
  fetchPage: (page: number, pageSize: number) => Promise<T[]>,
): FastifyReply {
  const filename = `${name.replace(/[^A-Za-z0-9_-]+/g, '-')}-${now.toISOString().slice(0, 10)}.csv`;
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(csvLines(columns, fetchPage)));
}

/** A link to the CSV of the current list page, keeping its filters. */
export function csvHref(path: string, query: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '' && k !== 'page' && k !== 'pageSize' && k !== 'format') params.set(k, String(v));
  params.set('format', 'csv');
  return `${path}?${params.toString()}`;
}
