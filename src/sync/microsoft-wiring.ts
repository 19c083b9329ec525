// What the sync needs from the Microsoft side (createMicrosoft: integrations, token broker, Graph
// client, discovery), turned into the runner's dependencies. createContext calls it once per
// process (ctx.microsoft); tests that inject a sleep may build their own.
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Clock } from '../time.ts';
import { createMicrosoft, type Microsoft, type MicrosoftDeps } from '../microsoft/index.ts';
import { createTenantReader } from '../microsoft/tenant-reader.ts';
import type { RunnerDeps } from './runner.ts';
import { createAdaptiveConcurrency } from './concurrency.ts';
import { createSharedAppPacer } from '../microsoft/app-pacing.ts';
import { realSleep } from '../microsoft/graph-client.ts';

export interface SyncMicrosoft extends Microsoft {
  runner: RunnerDeps;
}

/** What building the Microsoft side takes: the parts of the context that exist before it (src/context.ts). */
export interface SyncMicrosoftDeps {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  secrets: SecretBox;
  clock: Clock;
}

export function createSyncMicrosoft(ctx: SyncMicrosoftDeps, options: Pick<MicrosoftDeps, 'sleep' | 'retry' | 'msal'> = {}): SyncMicrosoft {
  const { sync } = ctx.config;
  // One per process: every tenant this process syncs shares the request cap and the AIMD limit.
  const concurrency = createAdaptiveConcurrency(
    {
      initialTenants: sync.concurrency,
      maxTenants: sync.maxConcurrency,
      maxInFlightRequests: sync.maxInFlightRequests,
      memoryLimitMb: sync.memoryLimitMb,
    },
    { clock: ctx.clock },
  );
  const appPacer = createSharedAppPacer({
    db: ctx.database.db,
    requestsPerSecond: sync.appRequestsPerSecond,
    sleep: options.sleep ?? realSleep,
  });
  const microsoft = createMicrosoft({
    config: ctx.config,
    db: ctx.database.db,
    secrets: ctx.secrets,
    log: ctx.log,
    clock: ctx.clock,
    appPacer,
    gate: concurrency,
    ...options,
  });
  const { graphBaseUrl } = ctx.config.microsoft;
  return {
    ...microsoft,
    runner: {
      db: ctx.database.db,
      log: ctx.log,
      clock: ctx.clock,
      config: ctx.config,
      concurrency,
      sources: ({ integration, tenant, counters, signal }) =>
        createTenantReader(microsoft.graph.forTenant(integration.id, tenant.microsoft_tenant_id, counters, { signal }), {
          counters,
          graphBaseUrl,
          signal,
        }),
      discover: (integrationId) => microsoft.discovery.discover(integrationId),
      onPartnerFailure: async (integrationId, error) => {
        await microsoft.integrations.markNeedsReconnect(integrationId, error.message);
        microsoft.tokens.forget(integrationId);
      },
    },
  };
}
