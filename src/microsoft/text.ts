// Text from Microsoft, made storable. Graph strings are JSON strings, so they may carry a NUL
// (U+0000) or an unpaired UTF-16 surrogate; Postgres refuses both (text cannot hold NUL, jsonb
// refuses "\u0000" and lone "\ud800" escapes), so one bad name would fail a tenant on every run.
// Every Graph answer passes through here at the client's boundary: each such character becomes
// U+FFFD (the replacement character), and the caller is told which records were touched.

const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// NUL is the point of this pattern: Postgres text columns cannot store it.
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000\uD800-\uDFFF]/;

/** The string with NUL and unpaired surrogates replaced by U+FFFD (the same string when clean). */
export function cleanText(text: string): string {
  if (!SUSPECT.test(text)) return text;
  return text.replaceAll(NUL, REPLACEMENT).replace(UNPAIRED_SURROGATE, REPLACEMENT);
}

/**
 * A JSON value with every string (keys too) cleaned. `replaced` counts the strings changed; the
 * value is copied only where something changed.
 */
export function cleanJson<T>(value: T): { value: T; replaced: number } {
  let replaced = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const c = cleanText(v);
      if (c !== v) replaced++;
      return c;
    }
    if (Array.isArray(v)) {
      let copy: unknown[] | null = null;
      v.forEach((item, i) => {
        const c = walk(item);
        if (c !== item) (copy ??= [...v])[i] = c;
      });
      return copy ?? v;
    }
    if (v !== null && typeof v === 'object') {
      let copy: Record<string, unknown> | null = null;
      for (const [key, item] of Object.entries(v)) {
        const cleanKey = cleanText(key);
        const c = walk(item);
        if (c !== item || cleanKey !== key) {
          copy ??= { ...(v as Record<string, unknown>) };
          if (cleanKey !== key) {
            replaced++;
            delete copy[key];
          }
          copy[cleanKey] = c;
        }
      }
      return copy ?? v;
    }
    return v;
  };
  return { value: walk(value) as T, replaced };
}

/** Which record of a Graph answer something is about: its id, else its user principal name. */
function recordName(record: unknown): string {
  if (record && typeof record === 'object') {
    const r = record as Record<string, unknown>;
    for (const key of ['id', 'userPrincipalName', 'tenantId', 'customerId']) {
      if (typeof r[key] === 'string') return cleanText(r[key] as string);
    }
  }
  return 'a record';
}

/**
 * A Graph answer cleaned record by record (`value` items, $batch inner bodies' items, or the body
 * itself), calling `onRecord` once per record that had characters replaced.
 */
export function cleanGraphBody<T>(body: T, onRecord: (record: string, replaced: number) => void): T {
  if (typeof body === 'string') {
    const c = cleanText(body);
    if (c !== body) onRecord('a report', 1);
    return c as T;
  }
  if (!body || typeof body !== 'object') return body;
  const b = body as Record<string, unknown>;
  if (Array.isArray(b.responses)) {
    const responses = b.responses.map((r) =>
      r && typeof r === 'object' && 'body' in r ? { ...r, body: cleanGraphBody((r as { body: unknown }).body, onRecord) } : r,
    );
    return { ...b, responses } as T;
  }
  if (Array.isArray(b.value)) {
    const value = b.value.map((item) => {
      const { value: c, replaced } = cleanJson(item);
      if (replaced > 0) onRecord(recordName(item), replaced);
      return c;
    });
    const { value: rest } = cleanJson({ ...b, value: [] });
    return { ...rest, value } as T;
  }
  const { value, replaced } = cleanJson(body);
  if (replaced > 0) onRecord(recordName(body), replaced);
  return value;
}
