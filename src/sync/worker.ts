// A sync worker: claims queued runs from sync_runs and runs many tenants at a time: as many as
// the adaptive limit allows (concurrency.ts: halved on Microsoft's 429s, grown while answers stay
// quick, held under the memory line), never more than `concurrency`. Any number of workers
// (processes, machines) share one queue; see queue.ts for why two of them can never sync the
// same tenant at once.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { discoverBeforeExpanding } from './discovery-step.ts';
import { claimIntegrationRun, claimTenantRun, expandIntegrationRun, LEASE_SECONDS, reclaimExpiredLeases } from './queue.ts';
import { isDatabaseUnavailable, runTenantRun, waitForDatabase, type RunnerDeps, type TenantRunOutcome } from './runner.ts';
import { getRun } from './runs.ts';

export interface SyncWorkerOptions {
  /** Shown in logs and in lease_owner; unique per process. */
  workerId?: string;
  /** Tenants at once at most; the runner's adaptive limit (RunnerDeps.concurrency), when it has one, decides below it. */
  concurrency: number;
  /** How often an idle worker looks for work (ms). */
  pollIntervalMs?: number;
  /** Force a full user listing on every tenant this worker syncs (demo --once). */
  fullListing?: boolean;
  onTenantFinished?: (outcome: TenantRunOutcome) => void;
  /**
   * Cancels this worker's work (Ctrl-C on `docsync sync`): once aborted, with a RunCancelled as
   * its reason, it claims nothing more and its tenant runs in flight stop and end "cancelled".
   * What is still queued is the caller's to cancel (queue.ts cancelRun).
   */
  signal?: AbortSignal;
}

export interface SyncWorker {
  readonly workerId: string;
  /** Claims what it can now and starts it; resolves once started (not finished). */
  fillSlots(): Promise<number>;
  /** Works until nothing is running and nothing is claimable (or `runId` has finished, or the signal aborted). */
  drain(options?: { runId?: string }): Promise<void>;
  /** Polls for work until stop(). */
  start(): void;
  /** Stops claiming, waits for the running tenants to finish. */
  stop(): Promise<void>;
}

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export function createSyncWorker(deps: RunnerDeps, options: SyncWorkerOptions): SyncWorker {
  const workerId = options.workerId ?? defaultWorkerId();
  const leaseSeconds = deps.config.sync.leaseSeconds;
  const running = new Set<Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let filling: Promise<number> | undefined;
  const cancelled = () => options.signal?.aborted === true;
  const tenantLimit = () => Math.min(options.concurrency, deps.concurrency?.tenantLimit(running.size) ?? Number.POSITIVE_INFINITY);
  // The adaptive limit grew: one shared wait, renewed once it fires (no listener per loop turn).
  let grown: Promise<'grown'> | undefined;
  const limitGrown = (): Promise<'grown'> | undefined => {
    if (!deps.concurrency) return undefined;
    grown ??= deps.concurrency.changed().then(() => {
      grown = undefined;
      return 'grown' as const;
    });
    return grown;
  };

  async function fill(): Promise<number> {
    const now = deps.clock.now();
    await reclaimExpiredLeases(deps.db, now);
    while (!cancelled()) {
      const parent = await claimIntegrationRun(deps.db, { workerId, now: deps.clock.now(), leaseSeconds });
      if (!parent) break;
      await discoverBeforeExpanding(deps, parent, workerId);
      // Cancelled during discovery (queue.ts cancelRun): there is nothing to fan out any more.
      if ((await getRun(deps.db, parent.id))?.status !== 'running') continue;
      await expandIntegrationRun(deps.db, parent, deps.clock.now());
    }
    let started = 0;
    while (!stopped && !cancelled() && running.size < tenantLimit()) {
      const run = await claimTenantRun(deps.db, { workerId, now: deps.clock.now(), leaseSeconds });
      if (!run) break;
      started++;
      const job: Promise<void> = runTenantRun(deps, run, workerId, { fullListing: options.fullListing, signal: options.signal })
        .then((outcome) => options.onTenantFinished?.(outcome))
        .catch((error) => deps.log.error({ err: error, runId: run.id }, 'tenant run crashed'))
        .finally(() => {
          running.delete(job);
          // A finished slot is filled at once, not at the next poll.
          if (!stopped && !cancelled() && timer !== undefined) void fillSlots();
        });
      running.add(job);
    }
    return started;
  }

  // One fill at a time per process: claims are cheap, but overlapping ones would race for slots.
  function fillSlots(): Promise<number> {
    if (!filling) filling = fill().finally(() => (filling = undefined));
    return filling;
  }

  return {
    workerId,
    fillSlots,
    async drain(drainOptions = {}) {
      const { runId } = drainOptions;
      // With a run to wait for (`docsync sync`, demo --once), stop taking work once it has
      // ended: the command exits, and the rest of the queue is the workers' to do.
      const targetEnded = async () => {
        if (!runId) return false;
        const run = await getRun(deps.db, runId);
        return !run || !['queued', 'running'].includes(run.status);
      };
      for (;;) {
        if (cancelled()) {
          // The runs in hand stop at their next step; a claim under way starts one that does too.
          await filling?.catch(() => {});
          await Promise.allSettled([...running]);
          return;
        }
        try {
          if (await targetEnded()) {
            await Promise.allSettled([...running]);
            return;
          }
          await fillSlots();
        } catch (error) {
          // The database restarting is no reason to abandon the tenants in hand (they wait for
          // it themselves) nor, within a lease's length, the drain.
          if (!isDatabaseUnavailable(error)) throw error;
          if (running.size === 0 && !(await waitForDatabase(deps.db, (leaseSeconds ?? LEASE_SECONDS) * 1000))) throw error;
          if (running.size === 0) continue;
        }
        if (running.size > 0) {
          const growth = limitGrown();
          await Promise.race<unknown>(growth ? [...running, growth] : [...running]);
          continue;
        }
        if (!runId) return;
        if (await targetEnded()) return;
        // Retries wait for their backoff; look again shortly (or at once when cancelled).
        await pause(1000, options.signal);
      }
    },
    start() {
      stopped = false;
      const poll = async () => {
        try {
          await fillSlots();
        } catch (error) {
          deps.log.warn({ err: error }, 'could not read the sync queue; retrying');
        }
        if (!stopped) timer = setTimeout(() => void poll(), options.pollIntervalMs ?? 2000);
      };
      timer = setTimeout(() => void poll(), 0);
      const watchGrowth = (): void => {
        void limitGrown()?.then(() => {
          if (stopped) return;
          void fillSlots().catch((error) => deps.log.warn({ err: error }, 'could not read the sync queue; retrying'));
          watchGrowth();
        });
      };
      watchGrowth();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await filling?.catch(() => {});
      await Promise.allSettled([...running]);
    },
  };
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
