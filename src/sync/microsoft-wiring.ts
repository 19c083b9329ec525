// Builds what the sync needs from the Microsoft side (integrations store, token broker, Graph
// client) out of one AppContext, and turns it into the runner's dependencies.
import type { AppContext } from '../context.ts';
import { createIntegrationStore, type IntegrationStore } from '../microsoft/integrations.ts';
import { createTokenBroker, type TokenBroker } from '../microsoft/token-broker.ts';
import { createGraphClientFactory, type GraphClientFactory } from '../microsoft/graph-client.ts';
import { createMsalNetworkClient, msalAuthorityFor, msalKnownAuthorities } from '../microsoft/network-client.ts';
import { createGraphTenantSource } from './graph-source.ts';
import type { RunnerDeps } from './runner.ts';

export interface SyncMicrosoft {
  integrations: IntegrationStore;
  tokens: TokenBroker;
  graph: GraphClientFactory;
  runner: RunnerDeps;
}

export function createSyncMicrosoft(ctx: AppContext): SyncMicrosoft {
  const db = ctx.database.db;
  const { authorityHost, graphBaseUrl } = ctx.config.microsoft;
  const integrations = createIntegrationStore({ db, secrets: ctx.secrets, clock: ctx.clock });
  const tokens = createTokenBroker({
    microsoft: ctx.config.microsoft,
    integrations,
    clock: ctx.clock,
    log: ctx.log,
    msal: {
      authorityFor: (tenantId) => msalAuthorityFor(authorityHost, tenantId),
      knownAuthorities: msalKnownAuthorities(authorityHost),
      networkClient: createMsalNetworkClient({ authorityHost }),
    },
  });
  const graph = createGraphClientFactory({ graphBaseUrl, tokens, clock: ctx.clock, log: ctx.log });
  return {
    integrations,
    tokens,
    graph,
    runner: {
      db,
      log: ctx.log,
      clock: ctx.clock,
      config: ctx.config,
      sources: ({ integration, tenant, counters }) => createGraphTenantSource(graph.forTenant(integration.id, tenant.tenant_id, counters), { counters, graphBaseUrl }),
      onPartnerFailure: async (integrationId, error) => {
        await integrations.markNeedsReconnect(integrationId, error.message);
        tokens.forget(integrationId);
      },
    },
  };
}
