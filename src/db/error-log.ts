// Database errors as they appear in logs. pg and PGlite put the failed statement's values on the
// error: PGlite its `params`, both the `detail` ("Key (lower(email))=(someone@…) already exists")
// and, for bad input, the message itself ('invalid input syntax for type uuid: "…"'). Those are
// personal data: the log keeps what identifies the failure (SQLSTATE, table, constraint, the
// statement's text with its $n placeholders) and drops the values.
import pino from 'pino';

type Serialized = Record<string, unknown>;

/** A Postgres error, from pg or PGlite: a severity and a five-character SQLSTATE. */
function isDatabaseError(value: Serialized): boolean {
  return typeof value.severity === 'string' && typeof value.code === 'string' && /^[0-9A-Z]{5}$/.test(value.code);
}

const QUOTED_VALUE_AT_END = /: ".*"$/s;
const REDACTED_VALUE = ': "[value not logged]"';

function withoutValues(serialized: Serialized): Serialized {
  const out: Serialized = { ...serialized };
  if (isDatabaseError(out)) {
    delete out.params;
    delete out.parameters;
    if (out.detail !== undefined) out.detail = '[not logged: may hold row values]';
    if (typeof out.message === 'string') {
      const original = out.message;
      out.message = original.replace(QUOTED_VALUE_AT_END, REDACTED_VALUE);
      if (typeof out.stack === 'string') out.stack = out.stack.split(original).join(out.message as string);
    }
  }
  if (out.cause && typeof out.cause === 'object') out.cause = withoutValues(out.cause as Serialized);
  if (Array.isArray(out.errors)) out.errors = out.errors.map((e) => (e && typeof e === 'object' ? withoutValues(e as Serialized) : e));
  return out;
}

/** pino's error serializer, minus the values of failed statements. */
export function serializeErrorForLog(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return withoutValues(pino.stdSerializers.err(error) as unknown as Serialized);
}
