// docsync's one Graph client, on @microsoft/microsoft-graph-client. Everything that reads
// Graph goes through here: paging (@odata.nextLink / deltaLink, replayed whole), pacing per
// tenant and per app (https://learn.microsoft.com/en-us/graph/throttling-limits), Retry-After on 429 (fractional seconds), retries
// with backoff for 5xx and dropped connections, counters, and one translation of Graph errors
// into MicrosoftError. The sleep function and clock are injected: tests never wait.
//
// A tenant's AbortSignal (its time budget, a lost lease, Ctrl-C) reaches the fetch itself and
// every wait (pacing, Retry-After, backoff, the token): on abort the call throws the signal's
// reason at once — never a MicrosoftError, which the runner would take for Microsoft's answer
// (a "transient" failure retried later) instead of the run being stopped.
//
// Middleware chain (outermost first): retry → bearer token → redirect (report downloads) →
// pacing + counting → fetch. The SDK's AuthenticationHandler only attaches tokens to https
// Graph hosts (its host check ignores http), so the bearer step is ours: it attaches the token
// to the configured Graph origin only — never to the pre-authenticated report download host.
import {
  Client,
  GraphError,
  HTTPMessageHandler,
  RedirectHandler,
  ResponseType,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import type { Clock } from '../time.ts';
import type { Logger } from '../logger.ts';
import { MicrosoftError, ResyncRequired } from './errors.ts';
import { cleanGraphBody } from './text.ts';
import type { GraphResource, Parsed, ThrottleFamily } from './resources.ts';
import type { AppPacer } from './app-pacing.ts';

/** Where requests wait for a slot and report how Microsoft answered (sync/concurrency.ts). */
export interface RequestGate {
  acquire(signal?: AbortSignal): Promise<() => void>;
  observe(status: number, latencyMs: number): void;
}

export interface GraphCounters {
  graphRequests: number;
  throttled: number;
}

/** Waits `ms`; may end early (rejecting with the signal's reason) when `signal` aborts. */
export type { Sleep } from '../time.ts';
import type { Sleep } from '../time.ts';
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    // The timer goes with the abort: a cancelled 10-minute Retry-After must not keep the process alive.
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * `promise`'s outcome, or the signal's reason as soon as it aborts. The promise itself runs on:
 * this only stops *waiting* for it (a shared token request must not die with one tenant's run).
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** An injected sleep that ends at once on abort, even one that does not look at the signal (tests). */
function abortableSleep(sleep: Sleep, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleep(ms);
  if (signal.aborted) return Promise.reject(signal.reason);
  return untilAborted(sleep(ms, signal), signal);
}

export interface DeltaPage<T> {
  items: T[];
  removedIds: string[];
  /** Present on the last page: store it for the next incremental sync. */
  deltaLink?: string;
}

export interface BatchRequest {
  id: string;
  method?: 'GET';
  /** Relative to the version ("/users/{id}/memberOf"). */
  url: string;
  headers?: Record<string, string>;
}
export interface BatchResponse {
  id: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** One request of firstPages: a resource's first page, or a page link (a stored deltaLink) to start from. */
export interface FirstPageRequest<T> {
  resource: GraphResource<T>;
  /** An absolute link under the Graph base to read instead of the resource's first page. */
  link?: string;
  /** The answer is one object, not a page of records (e.g. admin/reportSettings). */
  single?: boolean;
}

/**
 * The parsed answer to one request of a firstPages batch: a page (its records parsed, delta's
 * "@removed" ids apart, the links to go on from), or the error Graph will give again if asked
 * again (400, 403, 404, Intune's refusal). Undefined: anything else (429 after the batch's
 * retries, 5xx, an odd body, a request that could not go in the batch); read it on its own path,
 * which owns retries and errors.
 */
export type FirstPage<T> =
  { ok: true; items: T[]; removedIds: string[]; nextLink: string | null; deltaLink: string | null } | { ok: false; error: MicrosoftError };

export type FirstPages<R extends Record<string, FirstPageRequest<unknown> | undefined>> = {
  [K in keyof R]-?: NonNullable<R[K]> extends FirstPageRequest<infer T> ? FirstPage<T> | undefined : never;
};

export interface TenantGraph {
  readonly tenantId: string;
  /**
   * The first pages of up to 20 resources in one $batch (G:batch), parsed like listAll and delta
   * parse theirs. A page's nextLink is kept only when it stays under the Graph base.
   */
  firstPages<R extends Record<string, FirstPageRequest<unknown> | undefined>>(requests: R): Promise<FirstPages<R>>;
  /** Every page of a resource, parsed; bad records are skipped (see `skipped`). */
  listAll<T>(resource: GraphResource<T>): AsyncIterable<T[]>;
  /** A delta feed from the start (null) or from a stored deltaLink. 410 → ResyncRequired. */
  delta<T>(resource: GraphResource<T>, deltaLink: string | null): AsyncIterable<DeltaPage<T>>;
  get<T>(path: string, parse: (raw: unknown) => Parsed<T>, options?: { family?: ThrottleFamily; version?: 'v1.0' | 'beta' }): Promise<T>;
  /** A usage report as CSV text (Graph answers 302 to a pre-authenticated download). */
  report(name: string, period: 'D7' | 'D30' | 'D90' | 'D180'): Promise<string>;
  /** Up to 20 GET requests in one $batch call; inner 429s are retried after their Retry-After. */
  batch(requests: BatchRequest[]): Promise<BatchResponse[]>;
  /** A write (lifecycle actions): same token, pacing, Retry-After and error translation as reads; null for 204. */
  write<T = unknown>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T | null>;
  /** Records Microsoft sent that did not parse, with the reason. */
  readonly skipped: string[];
}

export interface TenantGraphOptions {
  /** Aborting stops this tenant's requests in flight and its waits; they throw the signal's reason. */
  signal?: AbortSignal;
}

export interface GraphClientFactory {
  forTenant(integrationId: string, tenantId: string, counters: GraphCounters, options?: TenantGraphOptions): TenantGraph;
}

export interface RetryPolicy {
  /** Retries of a 429 (each after Retry-After). */
  maxThrottleRetries: number;
  /** Retries of 5xx / dropped connections (exponential backoff). */
  maxServerRetries: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** Give up on one request once this much time was spent waiting for Microsoft. */
  maxWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxThrottleRetries: 6,
  maxServerRetries: 4,
  baseBackoffMs: 1000,
  maxBackoffMs: 30_000,
  maxWaitMs: 5 * 60_000,
};

/** Per-app-per-tenant limits with ~10 % headroom (https://learn.microsoft.com/en-us/graph/throttling-limits). */
export const TENANT_LIMITS: Record<ThrottleFamily, { requests: number; windowMs: number }> = {
  // Identity: S tenants 3,500 RU / 10 s; a $select'ed users page costs 1–2 RU.
  identity: { requests: 1_500, windowMs: 10_000 },
  // Intune devices: 2,000 / 20 s per app per tenant.
  intune: { requests: 1_800, windowMs: 20_000 },
  // Usage reports (CSV): 14 / 10 min per app per tenant, per report API.
  reports: { requests: 12, windowMs: 600_000 },
  // Multi-tenant management (tenantRelationships): 1,000 / 20 s per app per tenant.
  partner: { requests: 900, windowMs: 20_000 },
};
/** Any Graph request, per app across all tenants: 2,000 / s. */
export const GLOBAL_LIMIT = { requests: 1_800, windowMs: 1_000 };

export interface GraphClientDeps {
  graphBaseUrl: string;
  tokens: {
    accessToken(integrationId: string, tenantId: string): Promise<string>;
    invalidate?(integrationId: string, tenantId: string): void;
  };
  clock: Clock;
  sleep?: Sleep;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  /** Override limits (tests). */
  tenantLimits?: Partial<Record<ThrottleFamily, { requests: number; windowMs: number }>>;
  globalLimit?: { requests: number; windowMs: number };
  /** Microsoft's per-app limit, paced with every other docsync process (app-pacing.ts). */
  appPacer?: AppPacer;
  /** The process-wide cap on requests in flight, told every answer (sync/concurrency.ts adjusts to them). */
  gate?: RequestGate;
}

/**
 * A token bucket that never lets more than `requests` through in any `windowMs`: it refills at
 * 90 % of the limit and holds at most 10 % as burst. O(1) memory per tenant.
 */
export class Pacer {
  private tokens: number;
  private last: number;
  private readonly capacity: number;
  private readonly ratePerMs: number;
  constructor(
    limit: { requests: number; windowMs: number },
    private readonly clock: Clock,
    private readonly sleep: Sleep,
  ) {
    this.capacity = Math.max(1, Math.floor(limit.requests * 0.1));
    this.ratePerMs = (limit.requests * 0.9) / limit.windowMs;
    this.tokens = this.capacity;
    this.last = clock.now().getTime();
  }
  /**
   * Waits (through the injected sleep) until one request may go. Returns the ms waited. An abort
   * ends the wait with the signal's reason and takes no token.
   */
  async take(signal?: AbortSignal): Promise<number> {
    let waited = 0;
    for (;;) {
      const now = this.clock.now().getTime();
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.ratePerMs);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return waited;
      }
      const wait = Math.ceil((1 - this.tokens) / this.ratePerMs);
      waited += wait;
      await abortableSleep(this.sleep, wait, signal);
    }
  }
}

/** Retry-After: seconds (fractional allowed, e.g. "2.128") or an HTTP date. */
export function retryAfterMs(value: string | null, now: Date): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

/** The throttling family of a Graph path. */
export function familyOf(path: string): ThrottleFamily {
  if (/^\/?(v1\.0|beta)?\/?deviceManagement\//i.test(path)) return 'intune';
  if (/^\/?(v1\.0|beta)?\/?reports\//i.test(path)) return 'reports';
  if (/^\/?(v1\.0|beta)?\/?tenantRelationships\//i.test(path)) return 'partner';
  return 'identity';
}

export function createGraphClientFactory(deps: GraphClientDeps): GraphClientFactory {
  const sleep = deps.sleep ?? realSleep;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
  const graphOrigin = new URL(deps.graphBaseUrl).origin;
  const basePath = new URL(deps.graphBaseUrl).pathname.replace(/\/$/, '');
  const limits = { ...TENANT_LIMITS, ...deps.tenantLimits };
  const globalPacer = new Pacer(deps.globalLimit ?? GLOBAL_LIMIT, deps.clock, sleep);
  const tenantPacers = new Map<string, Pacer>();
  const pacerFor = (tenantId: string, family: ThrottleFamily, reportName?: string) => {
    // Report limits count per report API.
    const key = `${tenantId}|${family}|${reportName ?? ''}`;
    let pacer = tenantPacers.get(key);
    if (!pacer) {
      pacer = new Pacer(limits[family], deps.clock, sleep);
      tenantPacers.set(key, pacer);
    }
    return pacer;
  };

  return {
    forTenant(integrationId, tenantId, counters, options = {}) {
      const { signal } = options;
      const wait = (ms: number) => abortableSleep(sleep, ms, signal);
      const skipped: string[] = [];
      // The Graph SDK wraps anything a middleware throws into a bare GraphError, losing the
      // broker's typed error (partner connection expired, consent missing…). Keep it here so
      // the caller gets that error and its action, and the retry step does not mistake it for
      // a dropped connection.
      let tokenFailure: unknown = null;

      const retryMiddleware: Middleware & { next?: Middleware } = {
        async execute(context: Context) {
          const started = deps.clock.now().getTime();
          let throttleRetries = 0;
          let serverRetries = 0;
          let renewedToken = false;
          const originalRequest = context.request;
          for (;;) {
            signal?.throwIfAborted();
            context.request = originalRequest;
            let failure: unknown = null;
            try {
              await this.next!.execute(context);
            } catch (error) {
              failure = error;
            }
            const response = context.response;
            const waitedSoFar = deps.clock.now().getTime() - started;
            // The fetch was aborted (or a wait before it): not a dropped connection to retry.
            if (failure && signal?.aborted) throw signal.reason;
            if (failure && failure === tokenFailure) throw failure;
            if (failure) {
              // Dropped connection / reset / timeout: fetch threw before any response.
              if (serverRetries >= policy.maxServerRetries || waitedSoFar >= policy.maxWaitMs) throw failure;
              await wait(backoff(serverRetries++));
              continue;
            }
            if (!response) return;
            // A token Graph refuses (revoked, continuous access evaluation, clock skew): drop it
            // from the cache and try once with a fresh one. Not Intune's 401 around "Forbidden":
            // that is a missing role, which a new token does not change.
            if (response.status === 401 && !renewedToken && deps.tokens.invalidate && !(await isIntuneRefusal(response))) {
              renewedToken = true;
              deps.tokens.invalidate(integrationId, tenantId);
              await response.body?.cancel().catch(() => {});
              continue;
            }
            const discard = () => response.body?.cancel().catch(() => {});
            if (response.status === 429) {
              counters.throttled += 1;
              const retryAfter = retryAfterMs(response.headers.get('retry-after'), deps.clock.now()) ?? backoff(throttleRetries);
              if (throttleRetries >= policy.maxThrottleRetries || waitedSoFar + retryAfter > policy.maxWaitMs) return;
              throttleRetries++;
              await discard();
              await wait(retryAfter);
              continue;
            }
            if (response.status >= 500 && response.status !== 501) {
              if (serverRetries >= policy.maxServerRetries || waitedSoFar >= policy.maxWaitMs) return;
              const retryAfter = retryAfterMs(response.headers.get('retry-after'), deps.clock.now()) ?? backoff(serverRetries);
              serverRetries++;
              await discard();
              await wait(retryAfter);
              continue;
            }
            return;
          }
        },
        setNext(next: Middleware) {
          this.next = next;
        },
      };

      const bearerMiddleware: Middleware & { next?: Middleware } = {
        async execute(context: Context) {
          const url = requestUrl(context);
          const headers = (context.options!.headers ??= {}) as Record<string, string>;
          if (new URL(url).origin === graphOrigin) {
            try {
              // The broker's request is shared by every caller of that tenant's token (single-flight):
              // an abort here only stops this run waiting for it.
              headers.Authorization = `Bearer ${await untilAborted(deps.tokens.accessToken(integrationId, tenantId), signal)}`;
              tokenFailure = null;
            } catch (error) {
              if (signal?.aborted) throw signal.reason;
              tokenFailure = error;
              throw error;
            }
          } else delete headers.Authorization;
          await this.next!.execute(context);
        },
        setNext(next: Middleware) {
          this.next = next;
        },
      };

      const pacingMiddleware: Middleware & { next?: Middleware } = {
        async execute(context: Context) {
          const url = new URL(requestUrl(context));
          if (url.origin === graphOrigin) {
            const path = url.pathname.slice(basePath.length);
            const family = familyOf(path);
            const reportName = family === 'reports' ? /reports\/([A-Za-z0-9]+)/.exec(path)?.[1] : undefined;
            await pacerFor(tenantId.toLowerCase(), family, reportName).take(signal);
            await globalPacer.take(signal);
            // Microsoft counts every $batch item against the app's limit (G:batch).
            await deps.appPacer?.take(integrationId, batchWeight(path, context), signal);
          }
          counters.graphRequests += 1;
          if (!deps.gate) {
            await this.next!.execute(context);
            return;
          }
          const release = await deps.gate.acquire(signal);
          const started = performance.now();
          try {
            await this.next!.execute(context);
            deps.gate.observe(context.response?.status ?? 0, performance.now() - started);
          } catch (error) {
            deps.gate.observe(0, performance.now() - started);
            throw error;
          } finally {
            release();
          }
        },
        setNext(next: Middleware) {
          this.next = next;
        },
      };

      const client = Client.initWithMiddleware({
        baseUrl: deps.graphBaseUrl,
        defaultVersion: 'v1.0',
        middleware: [retryMiddleware, bearerMiddleware, new RedirectHandler(), pacingMiddleware, new HTTPMessageHandler()],
      });

      function backoff(attempt: number): number {
        return Math.min(policy.maxBackoffMs, policy.baseBackoffMs * 2 ** attempt);
      }

      /** nextLink/deltaLink are absolute: turn one back into version + path for client.api(). */
      function apiFor(link: string) {
        if (!link.toLowerCase().startsWith(deps.graphBaseUrl.toLowerCase())) {
          throw new MicrosoftError(
            'graph_request_failed',
            'tenant',
            `Graph sent a next page link outside ${deps.graphBaseUrl}`,
            'report this to the docsync maintainers',
            { tenantId },
          );
        }
        const rest = link.slice(deps.graphBaseUrl.length).replace(/^\/+/, '');
        const slash = rest.indexOf('/');
        return client.api(`/${rest.slice(slash + 1)}`).version(rest.slice(0, slash));
      }

      function firstRequest(resource: GraphResource<unknown>, path = resource.path) {
        const query: string[] = [];
        if (resource.select?.length) query.push(`$select=${resource.select.join(',')}`);
        if (resource.filter) query.push(`$filter=${encodeURIComponent(resource.filter)}`);
        if (resource.pageSize) query.push(`$top=${resource.pageSize}`);
        return client.api(query.length ? `${path}?${query.join('&')}` : path).version(resource.version ?? 'v1.0');
      }

      async function send<T>(
        request: ReturnType<typeof client.api>,
        resource: { name: string; headers?: Record<string, string> },
        what: 'get' | 'post' | 'patch' | 'delete' = 'get',
        body?: unknown,
      ): Promise<T> {
        if (resource.headers) request.headers(resource.headers);
        // fetch's own signal: a request hanging in Graph (or its body, or the report download
        // behind the redirect) ends at the abort. One signal per call, unlinked when it is done:
        // fetch lets go of its listener only when garbage-collected, and a tenant's hundreds of
        // requests on the run's signal itself would pile them up there.
        const linked = signal ? new AbortController() : undefined;
        const forward = () => linked!.abort(signal!.reason);
        if (signal && linked) {
          signal.addEventListener('abort', forward, { once: true });
          request.option('signal', linked.signal);
        }
        try {
          signal?.throwIfAborted();
          const answer = (
            what === 'patch'
              ? await request.patch(body)
              : what === 'delete'
                ? await request.delete()
                : what === 'get'
                  ? await request.get()
                  : await request.post(body)
          ) as T;
          // NUL and unpaired surrogates never get past here (Postgres refuses them): see text.ts.
          return cleanGraphBody(answer, (record, replaced) =>
            deps.log.warn(
              { tenantId, resource: resource.name, record, replaced },
              'Microsoft sent text with NUL or unpaired surrogate characters; they were replaced with U+FFFD',
            ),
          );
        } catch (error) {
          // The SDK wraps an aborted fetch into a GraphError with no status, which would read as
          // "Graph unavailable": the abort's own reason is what stopped this request.
          if (signal?.aborted) throw signal.reason;
          throw translateGraphError(tokenFailure ?? error, tenantId, resource.name);
        } finally {
          signal?.removeEventListener('abort', forward);
        }
      }

      /** A page's records parsed; delta's deleted objects ({ id, "@removed" }, G:delta) as ids apart. */
      function parseDeltaPage<T>(resource: GraphResource<T>, values: unknown): { items: T[]; removedIds: string[] } {
        const removedIds: string[] = [];
        const present: unknown[] = [];
        for (const raw of Array.isArray(values) ? values : []) {
          if (raw && typeof raw === 'object' && '@removed' in raw) {
            const id = (raw as { id?: unknown }).id;
            if (typeof id === 'string') removedIds.push(id);
          } else present.push(raw);
        }
        return { items: parsePage(resource, present), removedIds };
      }

      /** A link Graph sent, kept only under our own Graph base (it is followed with this token). */
      const ownLink = (link: unknown) =>
        typeof link === 'string' && link.toLowerCase().startsWith(`${deps.graphBaseUrl.toLowerCase()}/`) ? link : null;

      function firstPageOf<T>(request: FirstPageRequest<T>, response: BatchResponse): FirstPage<T> | undefined {
        const body = response.body;
        if (response.status === 200 && body && typeof body === 'object') {
          if (request.single) {
            const parsed = request.resource.parse(body);
            if (!parsed.ok) return undefined;
            return { ok: true, items: [parsed.value], removedIds: [], nextLink: null, deltaLink: null };
          }
          const page = body as { value?: unknown; '@odata.nextLink'?: unknown; '@odata.deltaLink'?: unknown };
          if (!Array.isArray(page.value)) return undefined;
          const nextLink = page['@odata.nextLink'] === undefined ? null : ownLink(page['@odata.nextLink']);
          // A next page somewhere else is not followed here: the resource's own path reads it.
          if (page['@odata.nextLink'] !== undefined && nextLink === null) return undefined;
          const deltaLink = typeof page['@odata.deltaLink'] === 'string' ? page['@odata.deltaLink'] : null;
          return { ok: true, ...parseDeltaPage(request.resource, page.value), nextLink, deltaLink };
        }
        const error = (body ?? {}) as { error?: { code?: string; message?: string } };
        const intuneRefusal = isIntuneForbidden(response.status, error.error?.code, error.error?.message);
        if (![400, 403, 404].includes(response.status) && !intuneRefusal) return undefined;
        const graphError = new GraphError(response.status, error.error?.message ?? `HTTP ${response.status}`);
        graphError.code = error.error?.code ?? null;
        return { ok: false, error: translateGraphError(graphError, tenantId, request.resource.name) };
      }

      function parsePage<T>(resource: GraphResource<T>, values: unknown): T[] {
        if (!Array.isArray(values)) {
          skipped.push(`${resource.name}: a page without a value list`);
          return [];
        }
        const items: T[] = [];
        for (const raw of values) {
          const parsed = resource.parse(raw);
          if (parsed.ok) items.push(parsed.value);
          else skipped.push(parsed.reason);
        }
        return items;
      }

      const tenantGraph: TenantGraph = {
        tenantId,
        skipped,
        async *listAll<T>(resource: GraphResource<T>) {
          let request = firstRequest(resource);
          for (;;) {
            const page = await send<{ value?: unknown; '@odata.nextLink'?: string }>(request, resource);
            yield parsePage(resource, page.value);
            const next = page['@odata.nextLink'];
            if (!next) return;
            request = apiFor(next);
          }
        },
        async *delta<T>(resource: GraphResource<T>, deltaLink: string | null) {
          // A stored link under another base (the cloud setting changed, the emulator restarted on
          // another port) can never be followed: start over with a full listing at once.
          if (deltaLink && !deltaLink.toLowerCase().startsWith(`${deps.graphBaseUrl.toLowerCase()}/`)) {
            const why =
              `the stored change-feed link of tenant ${tenantId} points to ${safeOrigin(deltaLink)}, ` +
              `not the configured Graph base ${deps.graphBaseUrl}`;
            throw new ResyncRequired(tenantId, undefined, why);
          }
          let request = deltaLink ? apiFor(deltaLink) : firstRequest({ ...resource, pageSize: undefined } as GraphResource<unknown>);
          for (;;) {
            const page = await send<{ value?: unknown; '@odata.nextLink'?: string; '@odata.deltaLink'?: string }>(request, resource);
            const { items, removedIds } = parseDeltaPage(resource, page.value);
            const next = page['@odata.nextLink'];
            const finalLink = page['@odata.deltaLink'];
            yield finalLink ? { items, removedIds, deltaLink: finalLink } : { items, removedIds };
            if (!next) return;
            request = apiFor(next);
          }
        },
        async get<T>(path: string, parse: (raw: unknown) => Parsed<T>, options: { version?: 'v1.0' | 'beta' } = {}) {
          const raw = await send<unknown>(client.api(path).version(options.version ?? 'v1.0'), { name: path });
          const parsed = parse(raw);
          if (!parsed.ok)
            throw new MicrosoftError(
              'graph_request_failed',
              'tenant',
              `Graph answered ${path} in tenant ${tenantId} with an unexpected shape (${parsed.reason})`,
              'try again later; report it if it persists',
              { tenantId },
            );
          return parsed.value;
        },
        async write<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) {
          const verb = method === 'POST' ? 'post' : method === 'PATCH' ? 'patch' : 'delete';
          const answer = await send<T | undefined>(client.api(path).version('v1.0'), { name: `${method} ${path}` }, verb, body);
          return answer ?? null;
        },
        async report(name, period) {
          if (!/^[A-Za-z0-9]+$/.test(name))
            throw new MicrosoftError('graph_request_failed', 'tenant', `unknown report ${name}`, 'use a getXxx report name');
          const request = client.api(`/reports/${name}(period='${period}')`).version('v1.0').responseType(ResponseType.TEXT);
          const csv = await send<string>(request, { name: `report ${name}` });
          return typeof csv === 'string' ? csv.replace(/^\uFEFF/, '') : '';
        },
        async firstPages<R extends Record<string, FirstPageRequest<unknown> | undefined>>(requests: R) {
          const versionRoot = `${deps.graphBaseUrl}/v1.0`;
          const entries = Object.entries(requests).filter((e): e is [string, FirstPageRequest<unknown>] => e[1] !== undefined);
          // Only a link under our own Graph root can go in the batch (relative to the version root).
          const inBatch = entries.filter(([, r]) => !r.link || r.link.startsWith(`${versionRoot}/`));
          const answers = new Map<string, FirstPage<unknown>>();
          if (inBatch.length > 0) {
            const responses = await tenantGraph.batch(
              inBatch.map(([id, r]) => ({
                id,
                url: r.link ? r.link.slice(versionRoot.length) : firstPageUrl(r.resource),
                ...(r.resource.headers ? { headers: { ...r.resource.headers } } : {}),
              })),
            );
            for (const response of responses) {
              const request = requests[response.id as keyof R];
              const answer = request && firstPageOf(request, response);
              if (answer) answers.set(response.id, answer);
            }
          }
          return Object.fromEntries(entries.map(([id]) => [id, answers.get(id)])) as FirstPages<R>;
        },
        async batch(requests) {
          if (requests.length > 20)
            throw new MicrosoftError('graph_request_failed', 'tenant', 'a $batch holds at most 20 requests', 'split the batch');
          const results = new Map<string, BatchResponse>();
          let pending = requests;
          let throttleRounds = 0;
          while (pending.length > 0) {
            const answer = await send<{
              responses?: Array<{ id: string; status: number; body?: unknown; headers?: Record<string, string> }>;
            }>(client.api('/$batch').version('v1.0'), { name: '$batch' }, 'post', {
              requests: pending.map((r) => ({
                id: r.id,
                method: r.method ?? 'GET',
                url: r.url,
                ...(r.headers ? { headers: r.headers } : {}),
              })),
            });
            const throttled: BatchRequest[] = [];
            let retryAfter = 0;
            for (const inner of answer.responses ?? []) {
              const original = pending.find((r) => r.id === inner.id);
              if (!original) continue;
              // Inner requests are throttled one by one, each with its own Retry-After (G:batch).
              if (inner.status === 429 && throttleRounds < policy.maxThrottleRetries) {
                counters.throttled += 1;
                throttled.push(original);
                const headers = lowerKeys(inner.headers ?? {});
                retryAfter = Math.max(
                  retryAfter,
                  retryAfterMs(headers['retry-after'] ?? null, deps.clock.now()) ?? backoff(throttleRounds),
                );
                continue;
              }
              results.set(inner.id, { id: inner.id, status: inner.status, body: inner.body ?? null, headers: inner.headers ?? {} });
            }
            pending = throttled;
            if (pending.length > 0) {
              throttleRounds++;
              await wait(retryAfter);
            }
          }
          return requests.map((r) => results.get(r.id) ?? { id: r.id, status: 0, body: null, headers: {} });
        },
      };
      return tenantGraph;
    },
  };
}

/** Where a link points, without its query (a deltatoken is nobody's business in a log). */
/** A resource's first request as a $batch url (relative to the version root). */
function firstPageUrl(resource: GraphResource<unknown>): string {
  const query = [
    ...(resource.select?.length ? [`$select=${resource.select.join(',')}`] : []),
    ...(resource.filter ? [`$filter=${encodeURIComponent(resource.filter)}`] : []),
    ...(resource.pageSize ? [`$top=${resource.pageSize}`] : []),
  ];
  return query.length ? `${resource.path}?${query.join('&')}` : resource.path;
}

function safeOrigin(link: string): string {
  try {
    const url = new URL(link);
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'an unreadable address';
  }
}

/** Requests a call counts for against per-app limits: a $batch's items, else 1. */
function batchWeight(path: string, context: Context): number {
  if (!/\/\$batch$/i.test(path)) return 1;
  try {
    const requests = (JSON.parse(String(context.options?.body ?? '')) as { requests?: unknown }).requests;
    return Array.isArray(requests) && requests.length > 0 ? requests.length : 1;
  } catch {
    return 1;
  }
}

function requestUrl(context: Context): string {
  return typeof context.request === 'string' ? context.request : (context.request as Request).url;
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * Intune refuses a caller without a role for devices with 401 "UnknownError" whose message nests
 * {"ErrorCode":"Forbidden",…} (seen live): a permission missing for devices, not a bad token.
 */
export function isIntuneForbidden(status: number, code: string | null | undefined, message: string | null | undefined): boolean {
  return status === 401 && code === 'UnknownError' && /"ErrorCode"\s*:\s*"Forbidden"|\bForbidden\b/.test(message ?? '');
}

async function isIntuneRefusal(response: Response): Promise<boolean> {
  if (!/\/deviceManagement\//i.test(response.url)) return false;
  try {
    const body = (await response.clone().json()) as { error?: { code?: string; message?: string } };
    return isIntuneForbidden(response.status, body.error?.code, body.error?.message);
  } catch {
    return false;
  }
}

/** One translation of Graph failures into MicrosoftError (tenant scope: other tenants carry on). */
export function translateGraphError(error: unknown, tenantId: string, what: string): MicrosoftError {
  if (error instanceof MicrosoftError) return error;
  if (!(error instanceof GraphError)) {
    return new MicrosoftError(
      'graph_unavailable',
      'tenant',
      `Graph could not be reached while reading ${what} in tenant ${tenantId}`,
      'nothing was changed; the next run tries again',
      { tenantId },
    );
  }
  const requestId = error.requestId ?? error.headers?.get('request-id') ?? undefined;
  const details = {
    tenantId,
    httpStatus: error.statusCode,
    ...(error.code ? { upstreamCode: error.code } : {}),
    ...(requestId ? { requestId } : {}),
    // Graph's own sentence (e.g. which SKU has no free units): lifecycle actions translate it.
    ...(error.message && error.statusCode >= 400 && error.statusCode < 500 ? { upstreamMessage: error.message.slice(0, 300) } : {}),
  };
  const status = error.statusCode;
  // Graph spells these codes in more than one case (syncStateNotFound, SyncStateNotFound).
  const code = error.code?.toLowerCase();
  if (status === 410 || code === 'syncstatenotfound' || code === 'resyncrequired') return new ResyncRequired(tenantId, requestId);
  if (status === 403) {
    return new MicrosoftError(
      'permission_missing',
      'tenant',
      `docsync may not read ${what} in tenant ${tenantId} (${error.code ?? 'Forbidden'})`,
      "give the GDAP service account's security group the role this needs in that customer's relationship " +
        "(the integration's page lists them: Directory Readers + Global Reader), or consent the missing scope",
      details,
    );
  }
  if (isIntuneForbidden(status, error.code, error.message)) {
    return new MicrosoftError(
      'permission_missing',
      'tenant',
      `docsync may not read Intune devices in tenant ${tenantId} (Intune answered 401 Forbidden)`,
      "give the GDAP service account's security group Global Reader (or Intune Administrator) in that customer's relationship; " +
        'the rest of the tenant syncs on',
      details,
    );
  }
  if (status === 401) {
    return new MicrosoftError(
      'permission_missing',
      'tenant',
      `Graph refused docsync's token for tenant ${tenantId} (${error.code ?? 'Unauthorized'})`,
      'run discovery again; if it persists, reconnect the integration',
      details,
    );
  }
  if (status === 429) {
    return new MicrosoftError(
      'throttled_out',
      'tenant',
      `Microsoft kept throttling ${what} in tenant ${tenantId}`,
      'nothing was changed; the next run continues (lower sync.maxConcurrency if it happens often)',
      details,
    );
  }
  if (status <= 0 || status >= 500) {
    return new MicrosoftError(
      'graph_unavailable',
      'tenant',
      `Graph was unavailable for ${what} in tenant ${tenantId}${status > 0 ? ` (HTTP ${status})` : ' (connection dropped)'}`,
      'nothing was changed; the next run tries again',
      details,
    );
  }
  // Intune answers a tenant without an Intune subscription with a plain 400 (not a 403).
  if (status === 400 && /not applicable to target tenant/i.test(error.message ?? '')) {
    return new MicrosoftError(
      'service_not_enabled',
      'tenant',
      `tenant ${tenantId} has no Intune subscription, so there are no managed devices to read`,
      'nothing to do if the customer does not use Intune; otherwise check its Intune licence',
      details,
    );
  }
  return new MicrosoftError(
    'graph_request_failed',
    'tenant',
    `Graph refused ${what} in tenant ${tenantId} (HTTP ${status}${error.code ? ` ${error.code}` : ''})`,
    'report this to the docsync maintainers with the request id',
    details,
  );
}
