// The OData query options Graph's directory endpoints accept, as far as docsync needs them:
// $select, $top, $filter (a small parser + evaluator), $count and $search, with Graph's rules
// on "advanced queries" (ConsistencyLevel: eventual AND $count=true, else 400
// Request_UnsupportedQuery; see https://learn.microsoft.com/en-us/graph/aad-advanced-queries).

import { badRequest, unsupportedQuery } from './errors.ts';
import type { GraphRequest } from './context.ts';

export function queryValue(request: GraphRequest, name: string): string | undefined {
  // OData names are case-insensitive and may come without the "$" (Graph accepts both).
  const wanted = name.toLowerCase();
  for (const [key, value] of request.query) {
    const k = key.toLowerCase();
    if (k === wanted || k === wanted.slice(1)) return value;
  }
  return undefined;
}

export function isAdvancedQuery(request: GraphRequest): boolean {
  return request.headers['consistencylevel']?.toLowerCase() === 'eventual' && queryValue(request, '$count')?.toLowerCase() === 'true';
}

export function parseSelect(request: GraphRequest, known: ReadonlySet<string>, typeName: string): string[] | undefined {
  const raw = queryValue(request, '$select');
  if (raw === undefined) return undefined;
  const fields = raw
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f.length > 0);
  for (const field of fields) {
    if (!known.has(field)) {
      // Graph matches property names case-insensitively in $select; keep it strict but helpful.
      const match = [...known].find((k) => k.toLowerCase() === field.toLowerCase());
      if (!match)
        throw badRequest(`Parsing OData Select and Expand failed: Could not find a property named '${field}' on type '${typeName}'.`);
      fields[fields.indexOf(field)] = match;
    }
  }
  return fields.length > 0 ? [...new Set(fields)] : undefined;
}

export function parseTop(request: GraphRequest, limits: { default: number; max: number; cap?: number }): number {
  const raw = queryValue(request, '$top');
  if (raw === undefined) return Math.min(limits.default, limits.cap ?? Infinity);
  if (!/^\d+$/.test(raw)) throw badRequest(`Invalid value '${raw}' for $top query option found.`);
  const top = Number(raw);
  if (top < 1 || top > limits.max)
    throw badRequest(`Invalid page size specified: '${raw}'. Must be between 1 and ${limits.max} inclusive.`, 'Request_BadRequest');
  return Math.min(top, limits.cap ?? Infinity);
}

export function project<T extends object>(
  record: T,
  select: readonly string[] | undefined,
  defaults: readonly string[],
): Record<string, unknown> {
  const fields = select ?? defaults;
  const out: Record<string, unknown> = {};
  const source = record as Record<string, unknown>;
  for (const f of fields) out[f] = source[f] ?? null;
  if (!('id' in out) && 'id' in source) out.id = source.id;
  return out;
}

// ---------------------------------------------------------------------------------------------
// $filter

type Literal = string | number | boolean | null;

export type FilterNode =
  | { type: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { type: 'not'; expr: FilterNode }
  | { type: 'cmp'; path: string; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; value: Literal }
  | { type: 'func'; name: 'startswith' | 'endswith'; path: string; value: string }
  | { type: 'in'; path: string; values: Literal[] }
  | { type: 'any'; path: string; variable: string; body: FilterNode | null };

interface Token {
  kind: 'word' | 'string' | 'literal' | 'punct';
  text: string;
  value?: Literal;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const patterns: Array<[RegExp, (m: string) => Token]> = [
    [/^\s+/, () => ({ kind: 'punct', text: ' ' })],
    [/^'((?:[^']|'')*)'/, (m) => ({ kind: 'string', text: m, value: m.slice(1, -1).replace(/''/g, "'") })],
    [/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})/, (m) => ({ kind: 'literal', text: m, value: m })],
    [
      /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/,
      (m) => ({ kind: 'literal', text: m, value: m.toLowerCase() }),
    ],
    [/^-?\d+(\.\d+)?(?![\w-])/, (m) => ({ kind: 'literal', text: m, value: Number(m) })],
    [/^[A-Za-z_][A-Za-z0-9_./]*/, (m) => ({ kind: 'word', text: m })],
    [/^[(),:]/, (m) => ({ kind: 'punct', text: m })],
  ];
  outer: while (i < text.length) {
    const rest = text.slice(i);
    for (const [re, make] of patterns) {
      const m = re.exec(rest);
      if (m) {
        const token = make(m[0]);
        if (token.text !== ' ') tokens.push(token);
        i += m[0].length;
        continue outer;
      }
    }
    throw badRequest(`Invalid filter clause: syntax error at position ${i} in '${text}'.`);
  }
  return tokens;
}

export function parseFilter(text: string): FilterNode {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const fail = (): never => {
    throw badRequest(`Invalid filter clause: syntax error at position ${pos} in '${text}'.`);
  };
  const expect = (t: string): void => {
    if (peek()?.text !== t) fail();
    pos++;
  };
  const isWord = (t: Token | undefined, w: string): boolean => t?.kind === 'word' && t.text.toLowerCase() === w;

  const literal = (): Literal => {
    const t = peek();
    if (!t) return fail();
    pos++;
    if (t.kind === 'string' || t.kind === 'literal') return t.value ?? null;
    if (t.kind === 'word') {
      const w = t.text.toLowerCase();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
    }
    return fail();
  };

  const orExpr = (): FilterNode => {
    let left = andExpr();
    while (isWord(peek(), 'or')) {
      pos++;
      left = { type: 'or', left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): FilterNode => {
    let left = unary();
    while (isWord(peek(), 'and')) {
      pos++;
      left = { type: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): FilterNode => {
    if (isWord(peek(), 'not')) {
      pos++;
      return { type: 'not', expr: unary() };
    }
    return primary();
  };
  const primary = (): FilterNode => {
    const t = peek();
    if (!t) return fail();
    if (t.text === '(') {
      pos++;
      const e = orExpr();
      expect(')');
      return e;
    }
    if (t.kind !== 'word') return fail();
    pos++;
    const name = t.text.toLowerCase();
    if ((name === 'startswith' || name === 'endswith') && peek()?.text === '(') {
      pos++;
      const path = peek();
      if (path?.kind !== 'word') return fail();
      pos++;
      expect(',');
      const value = literal();
      expect(')');
      if (typeof value !== 'string') return fail();
      return { type: 'func', name, path: path.text, value };
    }
    const lambda = /^(.*)\/(any|all)$/i.exec(t.text);
    if (lambda && peek()?.text === '(') {
      pos++;
      if (peek()?.text === ')') {
        pos++;
        return { type: 'any', path: lambda[1] as string, variable: '', body: null };
      }
      const variable = peek();
      if (variable?.kind !== 'word') return fail();
      pos++;
      expect(':');
      const body = orExpr();
      expect(')');
      if (lambda[2]?.toLowerCase() === 'all') throw unsupportedQuery();
      return { type: 'any', path: lambda[1] as string, variable: variable.text, body };
    }
    const op = peek();
    if (op?.kind !== 'word') return fail();
    const opName = op.text.toLowerCase();
    pos++;
    if (opName === 'in') {
      expect('(');
      const values: Literal[] = [literal()];
      while (peek()?.text === ',') {
        pos++;
        values.push(literal());
      }
      expect(')');
      return { type: 'in', path: t.text, values };
    }
    if (!['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(opName)) return fail();
    return { type: 'cmp', path: t.text, op: opName as 'eq', value: literal() };
  };

  const tree = orExpr();
  if (pos !== tokens.length) fail();
  return tree;
}

/** Which operators a property supports on an endpoint, and which of them are advanced-only. */
export interface FilterProperty {
  ops: ReadonlyArray<string>;
  advanced?: ReadonlyArray<string>;
  /** for collections of strings (proxyAddresses) or objects (assignedLicenses): the lambda form */
  collection?: 'string' | 'object';
  /** sub-properties allowed inside an object lambda, e.g. assignedLicenses/any(u:u/skuId eq …) */
  members?: ReadonlyArray<string>;
}

export interface FilterCheck {
  /** needs ConsistencyLevel: eventual + $count=true */
  advanced: boolean;
  /** top-level properties the filter touches */
  properties: Set<string>;
}

/** Validates a parsed filter against what the endpoint supports; throws Graph's 400s. */
export function checkFilter(node: FilterNode, schema: Readonly<Record<string, FilterProperty>>, resource: string): FilterCheck {
  const check: FilterCheck = { advanced: false, properties: new Set() };
  const unsupportedProperty = (path: string) =>
    unsupportedQuery(`Unsupported or invalid query filter clause specified for property '${path}' of resource '${resource}'.`);
  const use = (path: string, op: string): void => {
    const root = path.split('/')[0] as string;
    const prop = schema[path] ?? schema[root];
    if (!prop || !(prop.ops.includes(op) || prop.advanced?.includes(op))) throw unsupportedProperty(path);
    if (prop.advanced?.includes(op)) check.advanced = true;
    check.properties.add(root);
  };
  const walk = (n: FilterNode, negated: boolean): void => {
    switch (n.type) {
      case 'and':
      case 'or':
        walk(n.left, negated);
        walk(n.right, negated);
        return;
      case 'not':
        check.advanced = true;
        walk(n.expr, true);
        return;
      case 'cmp':
        use(n.path, n.op);
        return;
      case 'func':
        use(n.path, n.name);
        return;
      case 'in':
        use(n.path, 'in');
        return;
      case 'any': {
        const prop = schema[n.path];
        if (!prop?.collection) throw unsupportedProperty(n.path);
        check.properties.add(n.path);
        if (negated) check.advanced = true;
        if (!n.body) return;
        const inner = n.body;
        const walkInner = (b: FilterNode): void => {
          if (b.type === 'and' || b.type === 'or') {
            walkInner(b.left);
            walkInner(b.right);
            return;
          }
          if (b.type === 'not') {
            check.advanced = true;
            walkInner(b.expr);
            return;
          }
          if (b.type === 'any') throw unsupportedProperty(n.path);
          const path = (b as { path: string }).path;
          const member = path === n.variable ? '' : path.startsWith(`${n.variable}/`) ? path.slice(n.variable.length + 1) : undefined;
          if (member === undefined) throw unsupportedProperty(path);
          if (prop.collection === 'object' ? !prop.members?.includes(member) : member !== '')
            throw unsupportedProperty(`${n.path}/${member}`);
          const op = b.type === 'cmp' ? b.op : b.type === 'func' ? b.name : 'in';
          if (!(prop.ops.includes(op) || prop.advanced?.includes(op))) throw unsupportedProperty(n.path);
          if (prop.advanced?.includes(op)) check.advanced = true;
        };
        walkInner(inner);
        return;
      }
    }
  };
  walk(node, false);
  return check;
}

function get(record: unknown, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split('/')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function compare(actual: unknown, op: string, expected: Literal): boolean {
  if (expected === null || actual === null || actual === undefined) {
    const equal = (actual ?? null) === expected;
    return op === 'eq' ? equal : op === 'ne' ? !equal : false;
  }
  let a = actual as string | number | boolean;
  let e = expected;
  if (typeof a === 'string' && typeof e === 'string') {
    // directory string comparisons are case-insensitive; timestamps compare as instants
    const at = Date.parse(a),
      et = Date.parse(e);
    if (/^\d{4}-\d{2}-\d{2}T/.test(a) && /^\d{4}-\d{2}-\d{2}T/.test(e) && !Number.isNaN(at) && !Number.isNaN(et)) {
      a = at;
      e = et;
    } else if (a === '' && /^\d{4}-\d{2}-\d{2}T/.test(e)) return op === 'ne';
    else {
      a = a.toLowerCase();
      e = e.toLowerCase();
    }
  }
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      return false;
  }
}

export function evaluate(node: FilterNode, record: unknown, scope: Record<string, unknown> = {}): boolean {
  const resolve = (path: string): unknown => {
    const [head, ...rest] = path.split('/');
    if (head !== undefined && head in scope) return rest.length ? get(scope[head], rest.join('/')) : scope[head];
    return get(record, path);
  };
  switch (node.type) {
    case 'and':
      return evaluate(node.left, record, scope) && evaluate(node.right, record, scope);
    case 'or':
      return evaluate(node.left, record, scope) || evaluate(node.right, record, scope);
    case 'not':
      return !evaluate(node.expr, record, scope);
    case 'cmp':
      return compare(resolve(node.path), node.op, node.value);
    case 'in':
      return node.values.some((v) => compare(resolve(node.path), 'eq', v));
    case 'func': {
      const value = resolve(node.path);
      if (typeof value !== 'string') return false;
      const a = value.toLowerCase(),
        e = node.value.toLowerCase();
      return node.name === 'startswith' ? a.startsWith(e) : a.endsWith(e);
    }
    case 'any': {
      const items = resolve(node.path);
      if (!Array.isArray(items)) return false;
      if (!node.body) return items.length > 0;
      const body = node.body;
      return items.some((item) => evaluate(body, record, { ...scope, [node.variable]: item }));
    }
  }
}

/** Parses and checks $filter; enforces the advanced-query rule. */
export function compileFilter(
  request: GraphRequest,
  schema: Readonly<Record<string, FilterProperty>>,
  resource: string,
): { node: FilterNode; check: FilterCheck } | undefined {
  const raw = queryValue(request, '$filter');
  if (raw === undefined || raw.trim() === '') return undefined;
  const node = parseFilter(raw);
  const check = checkFilter(node, schema, resource);
  if (check.advanced && !isAdvancedQuery(request)) throw unsupportedQuery();
  return { node, check };
}

/** $search="displayName:foo" AND "mail:bar": only with ConsistencyLevel: eventual. */
export function compileSearch(
  request: GraphRequest,
  searchable: ReadonlyArray<string>,
): ((record: Record<string, unknown>) => boolean) | undefined {
  const raw = queryValue(request, '$search');
  if (raw === undefined) return undefined;
  if (request.headers['consistencylevel']?.toLowerCase() !== 'eventual') {
    throw unsupportedQuery(
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
  }
  const clauses = [...raw.matchAll(/"([^":]+):([^"]*)"/g)].map((m) => ({ property: m[1] as string, term: (m[2] as string).toLowerCase() }));
  if (clauses.length === 0) throw badRequest(`Syntax error: character '${raw.slice(0, 1)}' is not valid at position 0 in '${raw}'.`);
  for (const c of clauses)
    if (!searchable.includes(c.property))
      throw unsupportedQuery(`Unsupported or invalid query filter clause specified for property '${c.property}'.`);
  const or = /"\s+OR\s+"/i.test(raw);
  return (record) => {
    const hit = (c: { property: string; term: string }): boolean => {
      const value = record[c.property];
      // Graph tokenises on spaces and punctuation and matches word prefixes
      return (
        typeof value === 'string' &&
        value
          .toLowerCase()
          .split(/[\s.@_-]+/)
          .some((word) => word.startsWith(c.term))
      );
    };
    return or ? clauses.some(hit) : clauses.every(hit);
  };
}
