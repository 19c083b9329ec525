// The import graph of src/ points down the layers the README's "Layering" paragraph describes,
// and has no circles. Read from the source text (every relative import and re-export, type-only
// ones included), so the test needs no tool beyond Node.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../../src');

/** Higher tiers may import lower ones; one tier's folders may import each other (without circles). */
const TIERS: Record<string, number> = {
  'main.ts': 6,
  'app.ts': 6,
  'context.ts': 6,
  cli: 6,
  web: 6,
  emulator: 5,
  docs: 5,
  reports: 5,
  actions: 5,
  sync: 5,
  auth: 5,
  microsoft: 4,
  matching: 4,
  stores: 3,
  db: 2,
};

/** Imported by any layer: settings, errors, the clock, ids, logging, sealing, the licence catalogue. */
const SHARED = new Set(['config.ts', 'errors.ts', 'time.ts', 'ids.ts', 'logger.ts', 'crypto', 'licensing']);

/** Pure modules (no I/O) describing Microsoft's resources, the integration settings and a run's summary: stores may use them. */
const VOCABULARY = new Set([
  'microsoft/authentication-methods.ts',
  'microsoft/errors.ts',
  'microsoft/groups-delta.ts',
  'microsoft/mailbox-kinds.ts',
  'microsoft/resources.ts',
  'microsoft/text.ts',
  'microsoft/usage-reports.ts',
  'sync/run-summary.ts',
  'sync/settings.ts',
]);

/** Arrows that still run up, each in a module another change owns; remove a line when its arrow is gone. */
const KNOWN_UPWARD = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'/gm)) {
    found.push(
      path
        .relative(SRC, path.resolve(path.dirname(file), match[1]!))
        .split(path.sep)
        .join('/'),
    );
  }
  return found;
}

const graph = new Map(sourceFiles(SRC).map((file) => [path.relative(SRC, file).split(path.sep).join('/'), importsOf(file)]));
const topOf = (module: string) => module.split('/')[0]!;

describe('the import graph of src/', () => {
  it('reads every module and its imports (the check below is not vacuous)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('stores/tenants.ts')).toContain('db/schema.ts');
  });

  it('points down the layers: nothing imports a module of a higher tier', () => {
    const upward: string[] = [];
    for (const [from, targets] of graph) {
      const fromTier = TIERS[topOf(from)];
      for (const to of targets) {
        const edge = `${from} -> ${to}`;
        const toTop = topOf(to);
        if (SHARED.has(toTop) || VOCABULARY.has(to) || KNOWN_UPWARD.has(edge)) continue;
        const toTier = TIERS[toTop];
        if (fromTier === undefined) {
          // A shared module (settings, errors, logging…) may use the database's helpers and nothing above.
          if (toTier !== undefined && toTier > TIERS.db!) upward.push(edge);
        } else if (toTier !== undefined && toTier > fromTier) upward.push(edge);
      }
    }
    expect(upward).toEqual([]);
  });

  it('lets the vocabulary modules import only each other and the shared ones (so they stay at the bottom)', () => {
    const wrong = [...VOCABULARY].flatMap((from) =>
      (graph.get(from) ?? []).filter((to) => !VOCABULARY.has(to) && !SHARED.has(topOf(to))).map((to) => `${from} -> ${to}`),
    );
    expect(wrong).toEqual([]);
  });

  it('has no import circles', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (module: string, trail: string[]) => {
      if (state.get(module) === 'done') return;
      if (state.get(module) === 'open') {
        circles.push([...trail.slice(trail.indexOf(module)), module].join(' -> '));
        return;
      }
      state.set(module, 'open');
      for (const next of graph.get(module) ?? []) if (graph.has(next)) visit(next, [...trail, module]);
      state.set(module, 'done');
    };
    for (const module of graph.keys()) visit(module, []);
    expect(circles).toEqual([]);
  });
});
