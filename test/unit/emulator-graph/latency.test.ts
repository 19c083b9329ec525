import { describe, expect, it } from 'vitest';
import { createLatencyModel, parseLatencySpec, REPORT_FACTOR } from '../../../src/emulator/latency.ts';
import { seededRandom } from '../../../src/emulator/identity/random.ts';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

describe('emulator latency model', () => {
  it('draws delays whose median and 99th percentile are the ones asked for', () => {
    const model = createLatencyModel({ p50Ms: 200, p99Ms: 1500 }, seededRandom(7));
    const draws = Array.from({ length: 20_000 }, () => model.draw({ bytes: 0 })).sort((a, b) => a - b);
    expect(percentile(draws, 0.5)).toBeGreaterThan(190);
    expect(percentile(draws, 0.5)).toBeLessThan(210);
    expect(percentile(draws, 0.99)).toBeGreaterThan(1350);
    expect(percentile(draws, 0.99)).toBeLessThan(1650);
  });

  it('replays the same delays for the same seed', () => {
    const a = createLatencyModel({ p50Ms: 100, p99Ms: 900 }, seededRandom(3));
    const b = createLatencyModel({ p50Ms: 100, p99Ms: 900 }, seededRandom(3));
    const draw = (m: typeof a) => Array.from({ length: 50 }, () => m.draw({ bytes: 1000 }));
    expect(draw(a)).toEqual(draw(b));
  });

  it('makes big pages and reports slower than small answers', () => {
    const small = createLatencyModel({ p50Ms: 100, p99Ms: 100 }, seededRandom(1));
    expect(small.draw({ bytes: 0 })).toBe(100);
    expect(small.draw({ bytes: 512 * 1024 })).toBe(300);
    expect(small.draw({ bytes: 0, report: true })).toBe(100 * REPORT_FACTOR);
  });

  it('refuses a spec it cannot fit, saying what it expects', () => {
    expect(parseLatencySpec('p50=200,p99=1500')).toEqual({ p50Ms: 200, p99Ms: 1500 });
    expect(() => parseLatencySpec('p50=200')).toThrow(/both p50 and p99/);
    expect(() => parseLatencySpec('200,1500')).toThrow(/p50=MS,p99=MS/);
    expect(() => parseLatencySpec('p50=500,p99=100')).toThrow(/p99 must be at least p50/);
    expect(() => parseLatencySpec('p50=0,p99=100')).toThrow(/more than 0/);
  });
});
