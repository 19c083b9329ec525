// What the sync needs from the Microsoft side (createMicrosoft: integrations, token broker, Graph
// client, discovery), turned into the runner's dependencies. createContext calls it once per
// process (ctx.microsoft); tests that inject a sleep may build their own.
import type { Config } from '../config.ts';
import type { DatabaseHandle } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Clock } from '../time.ts';
import { createMicrosoft, type Microsoft, type MicrosoftDeps } from '../microsoft/index.ts';
import { createGraphTenantSource } from './graph-source.ts';
import type { RunnerDeps } from './runner.ts';

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
  const microsoft = createMicrosoft({
    config: ctx.config,
    db: ctx.database.db,
    secrets: ctx.secrets,
    log: ctx.log,
    clock: ctx.clock,
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
      sources: ({ integration, tenant, counters, signal }) =>
        createGraphTenantSource(microsoft.graph.forTenant(integration.id, tenant.microsoft_tenant_id, counters, { signal }), {
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
