// Latency like Microsoft's: off by default (the emulator answers in well under a millisecond,
// which hides what real Graph costs). With `--latency p50=MS,p99=MS` every answer waits a
// delay drawn from a log-normal distribution fitted to the two percentiles, seeded so a seed
// replays the same delays for the same call order.
//
// Fit: the median of a log-normal is exp(μ), so μ = ln(p50); the 99th percentile is
// exp(μ + z₀.₉₉·σ) with z₀.₉₉ = 2.3263, so σ = ln(p99 / p50) / 2.3263.
// Big answers take longer (a 999-user page is not a 1-user page): the draw is multiplied by
// 1 + bytes / 256 KiB. Usage reports are generated on request, so their calls (the 302 and
// the download) take REPORT_FACTOR times longer.
import type { FastifyInstance } from 'fastify';
import type { SeededRandom } from './identity/random.ts';

export interface LatencySpec {
  p50Ms: number;
  p99Ms: number;
}

export class LatencySpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LatencySpecError';
  }
}

const Z99 = 2.3263478740408408;
/** Bytes that add one more draw's worth of delay. */
export const BYTES_PER_EXTRA_DRAW = 256 * 1024;
export const REPORT_FACTOR = 3;
/** No single answer waits longer than this, however the draw falls (a client's timeout is not the point). */
export const MAX_DELAY_MS = 60_000;

/** `p50=200,p99=1500` → { p50Ms: 200, p99Ms: 1500 }; throws LatencySpecError with the reason. */
export function parseLatencySpec(text: string): LatencySpec {
  const values = new Map<string, number>();
  for (const part of text.split(',')) {
    const match = /^\s*(p50|p99)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!match) throw new LatencySpecError(`expected p50=MS,p99=MS (milliseconds), got "${text}"`);
    values.set(match[1]!, Number(match[2]));
  }
  const p50Ms = values.get('p50');
  const p99Ms = values.get('p99');
  if (p50Ms === undefined || p99Ms === undefined) throw new LatencySpecError(`both p50 and p99 are required, e.g. p50=200,p99=1500`);
  return validateLatencySpec({ p50Ms, p99Ms });
}

export function validateLatencySpec(spec: LatencySpec): LatencySpec {
  if (!(spec.p50Ms > 0) || spec.p50Ms > 30_000) throw new LatencySpecError('p50 must be more than 0 and at most 30000 ms');
  if (!(spec.p99Ms >= spec.p50Ms) || spec.p99Ms > MAX_DELAY_MS)
    throw new LatencySpecError(`p99 must be at least p50 and at most ${MAX_DELAY_MS} ms`);
  return spec;
}

export interface LatencyModel {
  readonly spec: LatencySpec;
  /** One delay in ms for an answer of `bytes` bytes (a report call when `report`). */
  draw(input: { bytes: number; report?: boolean }): number;
}

export function createLatencyModel(spec: LatencySpec, random: SeededRandom): LatencyModel {
  validateLatencySpec(spec);
  const mu = Math.log(spec.p50Ms);
  const sigma = Math.log(spec.p99Ms / spec.p50Ms) / Z99;
  const standardNormal = (): number => {
    // Box–Muller; 1 - next() keeps the logarithm's argument in (0, 1].
    const u = 1 - random.next();
    const v = random.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return {
    spec,
    draw({ bytes, report }) {
      const base = Math.exp(mu + sigma * standardNormal());
      const size = 1 + Math.max(0, bytes) / BYTES_PER_EXTRA_DRAW;
      return Math.min(MAX_DELAY_MS, Math.round(base * size * (report ? REPORT_FACTOR : 1)));
    },
  };
}

export type LatencySleep = (ms: number) => Promise<void>;
const realSleep: LatencySleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function payloadBytes(payload: unknown): number {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  if (Buffer.isBuffer(payload)) return payload.length;
  return 0;
}

/**
 * Delays every answer of `app` (not the /_emulator/ control routes) once its body is known.
 * `isReport(url)` marks usage-report calls.
 */
export function installLatency(
  app: FastifyInstance,
  model: LatencyModel,
  options: { isReport?: (url: string) => boolean; sleep?: LatencySleep } = {},
): void {
  const sleep = options.sleep ?? realSleep;
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.url.startsWith('/_emulator/')) return payload;
    await sleep(model.draw({ bytes: payloadBytes(payload), report: options.isReport?.(request.url) ?? false }));
    return payload;
  });
}
