// One guard for every route's decoded input (path parameters, query string, JSON body), run
// after schema validation: text with NUL or a lone UTF-16 surrogate (Postgres refuses both in
// text columns: "invalid byte sequence" / "unsupported Unicode escape sequence"), and numbers
// that are not finite or not exact integers. Ajv accepts "Infinity" and "1e309" (→ Infinity) as
// an integer within any maximum, and JSON.parse turns 1e309 into Infinity, so every route would
// otherwise need its own check before the value reaches SQL as a bigint.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadInput } from '../errors.ts';

// NUL is the point of this pattern: Postgres text columns cannot store it.
// eslint-disable-next-line no-control-regex
const NUL_OR_LONE_SURROGATE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_DEPTH = 32;

/** The first problem in a decoded value, as "where: what", or null. */
export function findUnsafeInput(value: unknown, where: string, depth = 0): string | null {
  if (typeof value === 'string') {
    if (!NUL_OR_LONE_SURROGATE.test(value)) return null;
    return `${where} contains a NUL character or an unpaired surrogate, which cannot be stored as text`;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `${where} must be a finite number`;
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return `${where} is too large`;
    return null;
  }
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return null;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [key, child] of entries) {
    const keyProblem = findUnsafeInput(key, `${where} key`, depth + 1);
    if (keyProblem) return keyProblem;
    const problem = findUnsafeInput(child, where ? `${where}.${key}` : key, depth + 1);
    if (problem) return problem;
  }
  return null;
}

export function checkRequestInput(request: Pick<FastifyRequest, 'params' | 'query' | 'body'>): void {
  const problem =
    findUnsafeInput(request.params, 'path') ?? findUnsafeInput(request.query, 'query') ?? findUnsafeInput(request.body, 'body');
  if (problem) throw new BadInput(`Invalid input: ${problem}.`);
}

/** Installs the guard on every route registered after this call. */
export function installInputGuard(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => checkRequestInput(request));
}
