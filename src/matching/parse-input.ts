// The edge: unknown JSON → MatchingInput, or one sentence naming the bad field
// ("tenants[3].users[0].userPrincipalName: expected string, got number").
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { MatchingInputSchema, type MatchingInput } from './input-schema.ts';

export class MatchingInputInvalid extends Error {
  constructor(
    /** e.g. "tenants[3].users[0].userPrincipalName" ('' for the whole document) */
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || 'input'}: ${problem}`);
    this.name = 'MatchingInputInvalid';
  }
}

const checker = TypeCompiler.Compile(MatchingInputSchema);

/** @throws MatchingInputInvalid naming the first bad field. */
export function parseMatchingInput(value: unknown): MatchingInput {
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    if (!first) throw new MatchingInputInvalid('', 'does not match the matching input schema');
    throw new MatchingInputInvalid(readablePath(first.path), describe(first));
  }
  // Each tenant is decided exactly once, so a tenant listed twice is a caller's mistake.
  const seen = new Set<string>();
  value.tenants.forEach((tenant, i) => {
    if (seen.has(tenant.id)) throw new MatchingInputInvalid(`tenants[${i}].id`, `tenant ${JSON.stringify(tenant.id)} is listed twice`);
    seen.add(tenant.id);
  });
  return value;
}

/** JSON pointer "/tenants/3/users/0/mail" → "tenants[3].users[0].mail". */
export function readablePath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment), '');
}

export function describe(error: ValueError): string {
  const expected = expectedOf(error.schema);
  if (error.type === ValueErrorType.ObjectRequiredProperty || error.value === undefined) return `expected ${expected}, but it is missing`;
  return `expected ${expected}, got ${kindOf(error.value)}`;
}

function expectedOf(schema: TSchema): string {
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as TSchema[]).map(expectedOf).join(' or ');
  if (schema.type === 'array') return 'an array';
  if (schema.type === 'object') return 'an object';
  return String(schema.type ?? 'a valid value');
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
