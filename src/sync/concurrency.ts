// How many tenants one worker syncs at once, adjusted as it goes (AIMD, as TCP does):
// Microsoft's limits are per tenant (https://learn.microsoft.com/en-us/graph/throttling-limits),
// so a worker keeps many tenants in flight to hide Graph's latency, within three bounds:
//   - a global cap on Graph requests in flight in this process (the gate every request passes);
//   - memory: above sync.memoryLimitMb of RSS, no new tenant is started;
//   - Microsoft's answers: a 429 halves the tenant limit (at most once per cooldown, so one
//     burst of 429s is one signal), and the limit grows by one after each "round" (as many
//     successful answers as the limit) while latency stays within twice the best seen.
// The Graph client reports every answer (status, latency) through `observe`; the worker asks
// `tenantLimit()` before it claims a tenant and waits on `changed()` to claim more.
import type { Clock } from '../time.ts';

export interface ConcurrencySettings {
  /** Tenants at once when the worker starts. */
  initialTenants: number;
  /** Never more tenants at once than this. */
  maxTenants: number;
  /** Graph requests in flight in this process at most. */
  maxInFlightRequests: number;
  /** No new tenant while the process' resident memory is above this (MB). */
  memoryLimitMb: number;
}

export interface RequestGate {
  /** Waits for a free request slot; call the returned function when the answer is in. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /** One answer from Graph: its HTTP status (0: no answer) and how long it took. */
  observe(status: number, latencyMs: number): void;
}

export interface ConcurrencySnapshot {
  tenantLimit: number;
  inFlightRequests: number;
  waitingRequests: number;
  throttled: number;
  decreases: number;
  increases: number;
  latencyMs: number | null;
}

export interface AdaptiveConcurrency extends RequestGate {
  /** Tenants this worker may have in flight now (0 while memory is over its limit and `running` > 0). */
  tenantLimit(running?: number): number;
  /** Resolves the next time the limit grows or a request slot frees up for a waiting tenant. */
  changed(): Promise<void>;
  snapshot(): ConcurrencySnapshot;
}

const LATENCY_SMOOTHING = 0.2;
const GOOD_LATENCY_FACTOR = 2;
const MIN_COOLDOWN_MS = 1_000;

export function createAdaptiveConcurrency(
  settings: ConcurrencySettings,
  deps: { clock: Clock; residentMemoryMb?: () => number },
): AdaptiveConcurrency {
  const residentMemoryMb = deps.residentMemoryMb ?? (() => process.memoryUsage().rss / (1024 * 1024));
  let limit = Math.max(1, Math.min(settings.initialTenants, settings.maxTenants));
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  let successesThisRound = 0;
  let lastDecreaseAt = Number.NEGATIVE_INFINITY;
  let latency: number | null = null;
  let bestLatency = Number.POSITIVE_INFINITY;
  let throttled = 0;
  let decreases = 0;
  let increases = 0;
  let listeners: Array<() => void> = [];

  const notify = () => {
    const current = listeners;
    listeners = [];
    for (const listener of current) listener();
  };

  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  };

  return {
    async acquire(signal) {
      signal?.throwIfAborted();
      if (inFlight < settings.maxInFlightRequests) {
        inFlight++;
        return once(release);
      }
      await new Promise<void>((resolve, reject) => {
        const grant = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const index = waiting.indexOf(grant);
          if (index >= 0) waiting.splice(index, 1);
          reject(signal!.reason);
        };
        waiting.push(grant);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      // The slot was handed over by release(): inFlight already counts it.
      return once(release);
    },
    observe(status, latencyMs) {
      const now = deps.clock.now().getTime();
      if (status === 429) {
        throttled++;
        const cooldown = Math.max(MIN_COOLDOWN_MS, 2 * (latency ?? 0));
        if (now - lastDecreaseAt >= cooldown) {
          lastDecreaseAt = now;
          const halved = Math.max(1, Math.floor(limit / 2));
          if (halved < limit) decreases++;
          limit = halved;
          successesThisRound = 0;
        }
        return;
      }
      if (status < 200 || status >= 400) return;
      latency = latency === null ? latencyMs : latency + LATENCY_SMOOTHING * (latencyMs - latency);
      bestLatency = Math.min(bestLatency, latency);
      if (++successesThisRound < limit) return;
      successesThisRound = 0;
      if (limit < settings.maxTenants && latency <= GOOD_LATENCY_FACTOR * bestLatency) {
        limit++;
        increases++;
        notify();
      }
    },
    tenantLimit(running = 0) {
      // Over the memory line: finish what is in hand before starting more (one at a time at least).
      if (residentMemoryMb() > settings.memoryLimitMb) return running > 0 ? 0 : 1;
      return limit;
    },
    changed() {
      return new Promise((resolve) => listeners.push(resolve));
    },
    snapshot: () => ({
      tenantLimit: limit,
      inFlightRequests: inFlight,
      waitingRequests: waiting.length,
      throttled,
      decreases,
      increases,
      latencyMs: latency === null ? null : Math.round(latency),
    }),
  };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
