// What every Graph handler receives: the parsed request, the verified caller and the world.
// Handlers return a GraphResponse; the same objects serve direct HTTP calls and $batch items.

import type { World } from '../world.ts';
import type { EmulatorClock } from '../world-types.ts';
import type { VerifiedToken } from '../identity/tokens.ts';
import type { FastifyInstance } from 'fastify';
import type { GraphThrottle } from './throttle.ts';

/** The caller as verified from the bearer token (GDAP roles are checked live against the world, not from wids). */
export type GraphCaller = Omit<VerifiedToken, 'wids'>;

export interface GraphTokenVerifier {
  verifyAccessToken(authorizationHeader: string | undefined): GraphCaller;
}

export interface GraphDeps {
  world: World;
  tokens: GraphTokenVerifier;
  clock: EmulatorClock;
  /** e.g. http://127.0.0.1:41002, known only once the server listens */
  graphBaseUrl: () => string;
  /**
   * The reports.office.com stand-in: a server of its own (another origin, as Microsoft's 302
   * goes to another host), so a client that would carry Graph's token there is caught.
   * Absent: downloads are served by the Graph server itself.
   */
  reportDownloads?: ReportDownloadHost;
  /** Microsoft's documented limits (throttle.ts); absent: nothing is throttled. */
  throttle?: GraphThrottle;
}

export interface ReportDownloadHost {
  app: FastifyInstance;
  baseUrl: () => string;
  /** Downloads served, and how many carried an Authorization header (they should not). */
  served: { total: number; withAuthorization: number };
}

export interface GraphRequest {
  method: string;
  version: 'v1.0' | 'beta';
  /** path after the version, without leading slash, percent-decoded: "users/delta" */
  path: string;
  query: URLSearchParams;
  /** lower-case header names */
  headers: Record<string, string | undefined>;
  body: unknown;
  caller: GraphCaller;
  /** the tenant the token is for (resolved GUID) */
  tenantId: string;
}

export interface GraphResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON value, or a string for text/plain and CSV bodies */
  body?: unknown;
}

/** Services shared by all handlers of one Graph server. */
export interface GraphServices extends GraphDeps {
  /** scope for opaque tokens ($skiptoken, $deltatoken): tokens of another server instance are unknown */
  instanceId: string;
}

export type GraphHandler = (
  request: GraphRequest,
  match: RegExpExecArray,
  services: GraphServices,
) => GraphResponse | Promise<GraphResponse>;

export interface GraphRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  pattern: RegExp;
  handler: GraphHandler;
  /** beta-only or v1.0-only routes */
  versions?: Array<'v1.0' | 'beta'>;
}

/** Graph's JSON content type on directory reads (examples/batch.txt). */
export const ODATA_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

export function contextUrl(services: GraphServices, request: GraphRequest, fragment: string): string {
  return `${services.graphBaseUrl()}/${request.version}/$metadata#${fragment}`;
}

export function ok(body: unknown, headers: Record<string, string> = {}): GraphResponse {
  return { status: 200, headers, body };
}
