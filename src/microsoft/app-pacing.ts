// Pacing for Microsoft's per-app limit (any Graph request: 2,000 per second per app across all
// tenants, https://learn.microsoft.com/en-us/graph/throttling-limits), shared by every docsync
// process through the database (src/stores/graph-app-budgets.ts). Per-tenant limits are paced in
// each process (graph-client.ts Pacer): one tenant is synced by one worker at a time.
//
// Cheap on purpose: a process takes tokens from the shared bucket in chunks (50 ms worth of the
// rate) and spends them locally, so the row is updated about twenty times a second at full speed,
// and claims of one process for one app go one at a time. Tokens are taken before they are spent,
// never after, so all processes together never send more than the bucket lets out.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { takeAppTokens, type BucketShape } from '../stores/graph-app-budgets.ts';
import { integrationClientId } from '../stores/integrations.ts';
import type { Sleep } from '../time.ts';

export interface AppPacer {
  /** Waits until `weight` requests of this integration's app may go (a $batch counts its items). */
  take(integrationId: string, weight: number, signal?: AbortSignal): Promise<void>;
}

export function createSharedAppPacer(deps: { db: Kysely<Database>; requestsPerSecond: number; sleep: Sleep }): AppPacer {
  const shape: BucketShape = { ratePerSecond: deps.requestsPerSecond, capacity: deps.requestsPerSecond };
  const chunk = Math.max(1, Math.floor(deps.requestsPerSecond / 20));
  const appIds = new Map<string, Promise<string>>();
  const reserves = new Map<string, { tokens: number; queue: Promise<void> }>();

  const appIdOf = (integrationId: string): Promise<string> => {
    let known = appIds.get(integrationId);
    if (!known) {
      known = integrationClientId(deps.db, integrationId)
        // An integration deleted meanwhile still paces under its own id.
        .then((clientId) => clientId?.toLowerCase() ?? `integration:${integrationId}`);
      known.catch(() => appIds.delete(integrationId));
      appIds.set(integrationId, known);
    }
    return known;
  };

  async function takeFor(reserve: { tokens: number }, appId: string, weight: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      if (reserve.tokens >= weight) {
        reserve.tokens -= weight;
        return;
      }
      const need = Math.min(shape.capacity, Math.max(chunk, Math.ceil(weight - reserve.tokens)));
      const answer = await takeAppTokens(deps.db, appId, need, shape);
      if (answer.granted) {
        reserve.tokens += need;
        continue;
      }
      await deps.sleep(Math.max(1, Math.ceil(((need - answer.available) / shape.ratePerSecond) * 1000)), signal);
    }
  }

  return {
    async take(integrationId, weight, signal) {
      const appId = await appIdOf(integrationId);
      let reserve = reserves.get(appId);
      if (!reserve) {
        reserve = { tokens: 0, queue: Promise.resolve() };
        reserves.set(appId, reserve);
      }
      // More than the bucket holds can never be granted at once: such a request takes a full bucket.
      const wanted = Math.min(weight, shape.capacity);
      const mine = reserve.queue.then(() => takeFor(reserve, appId, wanted, signal));
      reserve.queue = mine.catch(() => {});
      await mine;
    },
  };
}
