// docsync's Microsoft side, wired in one place: integrations (sealed secrets), the token
// broker (MSAL), the Graph client and tenant discovery. The sync engine and the web UI use
// only what this module exports.
import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { Clock } from '../time.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import { createIntegrationStore, type IntegrationStore } from './integrations.ts';
import { createTokenBroker, type MsalWiring, type TokenBroker } from './token-broker.ts';
import { createGraphClientFactory, type GraphClientFactory, type RequestGate, type RetryPolicy, type Sleep } from './graph-client.ts';
import type { AppPacer } from './app-pacing.ts';
import { createDiscovery, type Discovery } from './discovery.ts';
import { createMsalNetworkClient, msalAuthorityFor, msalKnownAuthorities } from './network-client.ts';

export interface Microsoft {
  integrations: IntegrationStore;
  tokens: TokenBroker;
  graph: GraphClientFactory;
  discovery: Discovery;
}

export interface MicrosoftDeps {
  config: Pick<Config, 'microsoft'>;
  db: Kysely<Database>;
  secrets: SecretBox;
  log: Logger;
  clock: Clock;
  /** Tests inject a sleep that moves their clock (Retry-After, backoff, pacing). */
  sleep?: Sleep;
  retry?: Partial<RetryPolicy>;
  /** Replace how MSAL reaches the identity platform (default: the configured authority host). */
  msal?: MsalWiring;
  /** Per-app pacing shared with other processes, and the in-flight request gate (the sync worker's). */
  appPacer?: AppPacer;
  gate?: RequestGate;
}

export function msalWiringFor(authorityHost: string): MsalWiring {
  return {
    authorityFor: (tenantId) => msalAuthorityFor(authorityHost, tenantId),
    knownAuthorities: msalKnownAuthorities(authorityHost),
    networkClient: createMsalNetworkClient({ authorityHost }),
  };
}

export function createMicrosoft(deps: MicrosoftDeps): Microsoft {
  const { config, db, secrets, log, clock } = deps;
  const integrations = createIntegrationStore({ db, secrets, clock });
  const tokens = createTokenBroker({
    microsoft: config.microsoft,
    integrations,
    clock,
    log,
    msal: deps.msal ?? msalWiringFor(config.microsoft.authorityHost),
    ...(deps.sleep ? { sleep: (ms: number) => deps.sleep!(ms) } : {}),
  });
  const graph = createGraphClientFactory({
    graphBaseUrl: config.microsoft.graphBaseUrl,
    tokens,
    clock,
    log,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.retry ? { retry: deps.retry } : {}),
    ...(deps.appPacer ? { appPacer: deps.appPacer } : {}),
    ...(deps.gate ? { gate: deps.gate } : {}),
  });
  const discovery = createDiscovery({ db, integrations, tokens, graph, clock, log });
  return { integrations, tokens, graph, discovery };
}

export { MicrosoftError, ResyncRequired, isMicrosoftError, adminConsentUrl } from './errors.ts';
export type { MicrosoftErrorCode, MicrosoftErrorScope } from './errors.ts';
export type { IntegrationView, CreateIntegrationInput, SecretReminder, IntegrationStore } from './integrations.ts';
export type { TokenBroker } from './token-broker.ts';
export type { TenantGraph, GraphCounters, DeltaPage, BatchRequest, BatchResponse, GraphClientFactory } from './graph-client.ts';
export type { Discovery, DiscoveryReport, DiscoveryWarning, DiscoveredTenant, TenantPermissions } from './discovery.ts';
export * as resources from './resources.ts';
export * as scopes from './scopes.ts';
