// Compares the SHAPE of two JSON values: same keys and value types, recursively; not values.
// null in the example means "nullable" (matches anything); null in ours matches any example
// type (Graph sends null for unset properties). Arrays: every element of ours must match some
// element of the example (collections mix shapes, e.g. delta pages with @removed items).

export interface ShapeOptions {
  /** keys ours may have that the (truncated) doc sample lacks, at any depth */
  extraKeys?: readonly string[];
  /** keys the sample has that ours may omit (paging annotations and the like) */
  optionalKeys?: readonly string[];
}

export function shapeDifferences(example: unknown, actual: unknown, options: ShapeOptions = {}, path = '$'): string[] {
  if (example === null || actual === null) return [];
  const kind = (v: unknown): string => (Array.isArray(v) ? 'array' : typeof v);
  if (kind(example) !== kind(actual)) return [`${path}: example is ${kind(example)}, ours is ${kind(actual)}`];
  if (Array.isArray(example) && Array.isArray(actual)) {
    if (example.length === 0) return [];
    const problems: string[] = [];
    actual.forEach((item, i) => {
      const attempts = example.map((e) => shapeDifferences(e, item, options, `${path}[${i}]`));
      if (!attempts.some((a) => a.length === 0)) problems.push(...(attempts.sort((a, b) => a.length - b.length)[0] ?? []));
    });
    return problems;
  }
  if (typeof example === 'object' && typeof actual === 'object') {
    const e = example as Record<string, unknown>,
      a = actual as Record<string, unknown>;
    const problems: string[] = [];
    for (const key of Object.keys(e)) {
      if (!(key in a)) {
        if (!options.optionalKeys?.includes(key)) problems.push(`${path}.${key}: missing in ours`);
        continue;
      }
      problems.push(...shapeDifferences(e[key], a[key], options, `${path}.${key}`));
    }
    for (const key of Object.keys(a))
      if (!(key in e) && !options.extraKeys?.includes(key)) problems.push(`${path}.${key}: not in the example`);
    return problems;
  }
  return [];
}
