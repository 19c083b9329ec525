// The token broker: access tokens per customer tenant through the real MSAL
// ConfidentialClientApplication.
//  - GDAP / direct delegated: the partner's refresh token redeemed at
//    {authorityHost}/{tenantId}/oauth2/v2.0/token (refresh tokens are bound to user + client,
//    not to a tenant, so one partner sign-in reaches every customer its GDAP roles allow).
//  - direct app-only: client credentials at {authorityHost}/{tenantId}.
// Tokens are cached per integration + tenant + scope and renewed 2 minutes before expiry by
// the injected clock; concurrent callers for one key share one request (single-flight).
// Every redemption returns a new refresh token: it is persisted sealed with compare-and-swap,
// because several worker processes share the stored token. Microsoft keeps the old token
// valid (E:rt), but if Microsoft (or a stricter emulator) says invalid_grant we re-read the
// stored token once: when another process rotated it meanwhile, we retry with theirs.
import { randomUUID } from 'node:crypto';
import {
  ConfidentialClientApplication,
  LogLevel,
  ServerError,
  type AuthenticationResult,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import type { Logger } from '../logger.ts';
import type { Clock } from '../time.ts';
import type { IntegrationStore, IntegrationView } from './integrations.ts';
import { MicrosoftError, tokenFailureFrom, tokenFailureToError, isInvalidGrant } from './errors.ts';
import { graphDefaultScope } from './scopes.ts';

/** How MSAL reaches the identity platform (src/microsoft/network-client.ts wires the real one). */
export interface MsalWiring {
  /** The authority URL MSAL is given for a tenant (msalAuthorityFor). */
  authorityFor(tenantId: string): string;
  /** Hosts MSAL trusts without instance discovery ("host:port"). */
  knownAuthorities: string[];
  networkClient: INetworkModule;
}

export interface TokenBrokerDeps {
  microsoft: { authorityHost: string; graphBaseUrl: string };
  integrations: Pick<IntegrationStore, 'credentials' | 'replaceRefreshToken' | 'sealedRefreshToken' | 'markNeedsReconnect'>;
  clock: Clock;
  log: Logger;
  msal: MsalWiring;
  /** Waits between retries of a transient token failure (tests inject one that moves their clock). */
  sleep?: (ms: number) => Promise<void>;
  retry?: Partial<TokenRetryPolicy>;
}

/**
 * The identity platform's transient answers (429 AADSTS90055 "too many requests", 5xx AADSTS90033
 * "transient error", a dropped connection) are retried here, after Retry-After or with backoff,
 * before MSAL sees them: MSAL would otherwise cache the 429/5xx as a throttle for up to a minute.
 */
export interface TokenRetryPolicy {
  maxRetries: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** Give up once this much time was spent waiting for one token. */
  maxWaitMs: number;
}
export const DEFAULT_TOKEN_RETRY_POLICY: TokenRetryPolicy = {
  maxRetries: 4,
  baseBackoffMs: 1000,
  maxBackoffMs: 30_000,
  maxWaitMs: 120_000,
};

export interface TokenBroker {
  /** A Graph access token for that tenant (the partner tenant included). Throws MicrosoftError. */
  accessToken(integrationId: string, tenantId: string, options?: { scopes?: string[] }): Promise<string>;
  /** Forget cached tokens and MSAL clients of an integration (after reconnect or a new secret). */
  forget(integrationId: string): void;
  /** Drop the cached access token of one tenant (Graph refused it: revoked, CAE, clock skew). */
  invalidate(integrationId: string, tenantId: string): void;
  /** Token requests sent to the identity platform, per tenant (for the closing figures and tests). */
  stats(): { tokenRequests: number; perTenant: Record<string, number> };
  /** MSAL pieces for the connect flow (authorization-code redemption). */
  clientFor(credentials: { integration: IntegrationView; clientSecret: string }): ConfidentialClientApplication;
  /** What the identity platform returned beside the access token, by correlation id (refresh token, expires_in). */
  takeCaptured(correlationId: string): CapturedTokenResponse | undefined;
}

/** Renew this long before the access token expires, so a Graph call never carries a dying token. */
export const RENEW_BEFORE_MS = 2 * 60_000;

export interface CapturedTokenResponse {
  refreshToken?: string;
  expiresInSeconds?: number;
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

export function createTokenBroker(deps: TokenBrokerDeps): TokenBroker {
  const { integrations, clock, log } = deps;
  const cache = new Map<string, CachedToken>();
  const inFlight = new Map<string, Promise<string>>();
  const clients = new Map<string, { cca: ConfidentialClientApplication; secret: string }>();
  const captured = new Map<string, CapturedTokenResponse>();
  const discoveryFailures = new Map<string, unknown>();
  const perTenant: Record<string, number> = {};
  let tokenRequests = 0;

  // MSAL's AuthenticationResult hides the refresh token; the token endpoint's answer carries
  // it. This wrapper keeps it (and expires_in) by the request's correlation id, so concurrent
  // redemptions for different tenants never mix up their tokens.
  const networkClient: INetworkModule = {
    async sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
      const response = await deps.msal.networkClient.sendGetRequestAsync<T>(url, options, timeout);
      // MSAL reports a failed OpenID discovery as "endpoints_resolution_error" and drops the
      // body; keep it per tenant so an unknown tenant (AADSTS90002) gets its real explanation.
      const discovery = /\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(new URL(url).pathname);
      if (discovery) {
        const tenant = decodeURIComponent(discovery[1]!).toLowerCase();
        if (response.status >= 400) discoveryFailures.set(tenant, response.body);
        else discoveryFailures.delete(tenant);
      }
      return response;
    },
    async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
      const tokenEndpoint = /\/([^/]+)\/oauth2\/v2\.0\/token(\?|$)/.exec(new URL(url).pathname + (new URL(url).search ? '?' : ''));
      const send = () => {
        if (tokenEndpoint) {
          tokenRequests += 1;
          const tenant = decodeURIComponent(tokenEndpoint[1]!).toLowerCase();
          perTenant[tenant] = (perTenant[tenant] ?? 0) + 1;
        }
        return deps.msal.networkClient.sendPostRequestAsync<T>(url, options);
      };
      const response = tokenEndpoint ? await withTransientRetries(send, options?.correlationId ?? '') : await send();
      if (tokenEndpoint && response.status >= 200 && response.status < 300) {
        const correlationId =
          options?.correlationId ??
          new URLSearchParams(options?.body ?? '').get('client-request-id') ??
          new URL(url).searchParams.get('client-request-id');
        const body = response.body as { refresh_token?: unknown; expires_in?: unknown };
        if (correlationId) {
          captured.set(correlationId, {
            ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
            ...(body.expires_in !== undefined && Number.isFinite(Number(body.expires_in))
              ? { expiresInSeconds: Number(body.expires_in) }
              : {}),
          });
        }
      }
      return response;
    },
  };

  const retryPolicy: TokenRetryPolicy = { ...DEFAULT_TOKEN_RETRY_POLICY, ...deps.retry };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /** A token request, sent again while the identity platform answers 429/5xx or drops the connection. */
  async function withTransientRetries<T>(send: () => Promise<NetworkResponse<T>>, correlationId: string): Promise<NetworkResponse<T>> {
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      let response: NetworkResponse<T> | undefined;
      let failure: unknown;
      try {
        response = await send();
      } catch (error) {
        failure = error;
      }
      const transient = response === undefined || response.status === 429 || (response.status >= 500 && response.status < 600);
      if (!transient) return response!;
      const wait = retryAfterMs(response?.headers) ?? Math.min(retryPolicy.maxBackoffMs, retryPolicy.baseBackoffMs * 2 ** attempt);
      if (attempt >= retryPolicy.maxRetries || waited + wait > retryPolicy.maxWaitMs) {
        if (!response) throw failure;
        // Thrown, not returned: MSAL would cache a returned 429/5xx as a throttle and refuse the
        // next run's request without sending it. An AuthError passes through MSAL unchanged.
        const body = (response.body ?? {}) as { error?: unknown; error_description?: unknown; error_codes?: unknown; suberror?: unknown };
        const codes = Array.isArray(body.error_codes) ? body.error_codes.filter((n): n is number => typeof n === 'number') : [];
        throw new ServerError(
          typeof body.error === 'string' ? body.error : 'temporarily_unavailable',
          correlationId,
          typeof body.error_description === 'string' ? body.error_description : `the identity platform answered HTTP ${response.status}`,
          typeof body.suberror === 'string' ? body.suberror : undefined,
          codes[0] !== undefined ? String(codes[0]) : undefined,
          response.status,
        );
      }
      log.info(
        { httpStatus: response?.status ?? 0, waitMs: wait, attempt: attempt + 1 },
        'the identity platform answered with a transient failure; retrying the token request',
      );
      waited += wait;
      await sleep(wait);
    }
  }

  function clientFor(credentials: { integration: IntegrationView; clientSecret: string }): ConfidentialClientApplication {
    const { integration, clientSecret } = credentials;
    const existing = clients.get(integration.id);
    if (existing && existing.secret === clientSecret) return existing.cca;
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: integration.clientId,
        clientSecret,
        authority: deps.msal.authorityFor(integration.tenantId),
        knownAuthorities: deps.msal.knownAuthorities,
      },
      system: {
        networkClient,
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Warning,
          loggerCallback: (level, message) => {
            if (level <= LogLevel.Warning) log.debug({ msal: message }, 'msal');
          },
        },
      },
    });
    clients.set(integration.id, { cca, secret: clientSecret });
    return cca;
  }

  async function redeem(integrationId: string, tenantId: string, scopes: string[]): Promise<CachedToken> {
    const startedAt = clock.now().getTime();
    let credentials = await integrations.credentials(integrationId);
    const { integration } = credentials;
    const failureContext = {
      tenantId,
      partnerTenantId: integration.tenantId,
      clientId: integration.clientId,
      authorityHost: deps.microsoft.authorityHost,
    };

    if (integration.status === 'disabled') {
      throw new MicrosoftError(
        'not_connected',
        'partner',
        `integration "${integration.name}" is disabled`,
        'enable the integration to sync it',
        { tenantId },
      );
    }
    if (integration.status === 'needs_reconnect') {
      // Do not hammer Microsoft with a sign-in it already refused; the stored reason says why.
      throw new MicrosoftError(
        'partner_connection_expired',
        'partner',
        integration.statusReason ?? 'the partner connection needs a reconnect',
        'reconnect the integration (Integrations → Connect)',
        { tenantId },
      );
    }
    if (!credentials.clientSecret) {
      throw new MicrosoftError(
        'client_secret_rejected',
        'partner',
        `integration "${integration.name}" has no client secret`,
        "paste the client secret's Value into the integration",
      );
    }
    const cca = clientFor({ integration, clientSecret: credentials.clientSecret });
    const authority = deps.msal.authorityFor(tenantId);

    const attempt = async (): Promise<{ result: AuthenticationResult | null; correlationId: string }> => {
      const correlationId = randomUUID();
      if (integration.kind === 'direct_app') {
        if (tenantId.toLowerCase() !== integration.tenantId.toLowerCase()) {
          throw new MicrosoftError(
            'tenant_not_found',
            'tenant',
            `a direct integration reaches only its own tenant (${integration.tenantId}), not ${tenantId}`,
            'use a GDAP integration for customer tenants',
            { tenantId },
          );
        }
        return {
          result: await cca.acquireTokenByClientCredential({
            scopes: [graphDefaultScope(deps.microsoft.graphBaseUrl)],
            authority,
            correlationId,
            skipCache: true,
          }),
          correlationId,
        };
      }
      if (!credentials.refreshToken) {
        throw new MicrosoftError(
          'not_connected',
          'partner',
          `integration "${integration.name}" is not connected yet`,
          'connect the integration (Integrations → Connect) with the GDAP service account',
          { tenantId },
        );
      }
      return {
        result: await cca.acquireTokenByRefreshToken({ refreshToken: credentials.refreshToken, scopes, authority, correlationId }),
        correlationId,
      };
    };

    let outcome: { result: AuthenticationResult | null; correlationId: string };
    try {
      try {
        outcome = await attempt();
      } catch (error) {
        const failure = tokenFailureFrom(error);
        if (integration.kind !== 'direct_app' && isInvalidGrant(failure)) {
          // Another process may have rotated the shared refresh token: retry once with the stored one.
          const storedNow = await integrations.sealedRefreshToken(integrationId);
          if (storedNow !== credentials.sealedRefreshToken) {
            credentials = await integrations.credentials(integrationId);
            outcome = await attempt();
          } else throw error;
        } else throw error;
      }
    } catch (error) {
      throw await translateFailure(error, integrationId, failureContext);
    }

    const capturedResponse = captured.get(outcome.correlationId);
    captured.delete(outcome.correlationId);
    if (!outcome.result?.accessToken) {
      throw new MicrosoftError(
        'token_request_failed',
        'tenant',
        `Microsoft returned no access token for tenant ${tenantId}`,
        'try again later',
        { tenantId },
      );
    }
    if (capturedResponse?.refreshToken && capturedResponse.refreshToken !== credentials.refreshToken) {
      const replaced = await integrations.replaceRefreshToken(integrationId, credentials.sealedRefreshToken, capturedResponse.refreshToken);
      // false: another process stored its rotation first; both tokens are valid (E:rt), keep theirs.
      if (!replaced) log.debug({ integrationId }, 'refresh token rotated by another process first');
    }
    const lifetimeMs =
      capturedResponse?.expiresInSeconds !== undefined
        ? capturedResponse.expiresInSeconds * 1000
        : outcome.result.expiresOn
          ? outcome.result.expiresOn.getTime() - Date.now()
          : 3_600_000;
    return { accessToken: outcome.result.accessToken, expiresAt: startedAt + lifetimeMs };
  }

  async function translateFailure(
    error: unknown,
    integrationId: string,
    context: Parameters<typeof tokenFailureToError>[1],
  ): Promise<MicrosoftError> {
    if (error instanceof MicrosoftError) return error;
    const discoveryBody =
      (error as { errorCode?: string }).errorCode === 'endpoints_resolution_error'
        ? discoveryFailures.get(context.tenantId.toLowerCase())
        : undefined;
    const failure = tokenFailureFrom(discoveryBody ?? error);
    const translated = failure
      ? tokenFailureToError(failure, context)
      : new MicrosoftError(
          'token_request_failed',
          'tenant',
          `the identity platform could not be reached for tenant ${context.tenantId} ` +
            `(${(error as { errorCode?: string }).errorCode ?? (error as Error).name ?? 'error'})`,
          `check that ${context.authorityHost} is reachable from docsync; the next run retries`,
          { tenantId: context.tenantId },
        );
    log.warn({ integrationId, ...translated.toLogFields() }, 'token request failed');
    if (translated.scope === 'partner') {
      await integrations.markNeedsReconnect(integrationId, `${translated.message}: ${translated.action}`);
      forget(integrationId);
    }
    return translated;
  }

  function forget(integrationId: string): void {
    clients.delete(integrationId);
    for (const key of cache.keys()) if (key.startsWith(`${integrationId}|`)) cache.delete(key);
  }

  return {
    async accessToken(integrationId, tenantId, options = {}) {
      const scopes = options.scopes ?? [graphDefaultScope(deps.microsoft.graphBaseUrl)];
      const key = `${integrationId}|${tenantId.toLowerCase()}|${[...scopes].sort().join(' ')}`;
      const cached = cache.get(key);
      if (cached && clock.now().getTime() < cached.expiresAt - RENEW_BEFORE_MS) return cached.accessToken;
      const running = inFlight.get(key);
      if (running) return running;
      const request = redeem(integrationId, tenantId, scopes)
        .then((token) => {
          cache.set(key, token);
          return token.accessToken;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, request);
      return request;
    },
    forget,
    invalidate(integrationId, tenantId) {
      const prefix = `${integrationId}|${tenantId.toLowerCase()}|`;
      for (const key of cache.keys()) if (key.startsWith(prefix)) cache.delete(key);
    },
    stats: () => ({ tokenRequests, perTenant: { ...perTenant } }),
    clientFor,
    takeCaptured(correlationId) {
      const value = captured.get(correlationId);
      captured.delete(correlationId);
      return value;
    },
  };
}

/** Retry-After on a token endpoint answer: seconds (fractional allowed). */
function retryAfterMs(headers: Record<string, string> | undefined): number | null {
  if (!headers) return null;
  const entry = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after');
  const seconds = entry ? Number(entry[1]) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : null;
}
