// Starts the real emulator servers (A1's shell + token service) with this world and the Graph
// routes, on 127.0.0.1:0, with a clock the test moves. Tokens are minted by the real token
// service, so Graph verifies genuine RS256 JWTs.
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { startEmulatorServers, type EmulatorServersOptions, type RunningEmulatorCore } from '../../../src/emulator/server.ts';
import { registerGraphRoutes } from '../../../src/emulator/graph/index.ts';
import { createWorld, type World } from '../../../src/emulator/world.ts';
import { DOCSYNC_APP_PERMISSIONS, PARTNER_ONLY_PERMISSIONS } from '../../../src/emulator/world/catalog.ts';

export interface TestClock {
  now(): Date;
  advance(ms: number): void;
}

export function testClock(start = '2025-06-01T12:00:00Z'): TestClock {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

export interface Harness {
  emulator: RunningEmulatorCore<World>;
  world: World;
  clock: TestClock;
  graph: string;
  appToken(tenantId: string, roles?: readonly string[]): string;
  delegatedToken(tenantId: string, scopes?: readonly string[], userId?: string): string;
  get(
    path: string,
    token: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Headers; json: any; text: string }>;
  close(): Promise<void>;
}

export const ALL_PERMISSIONS = [...DOCSYNC_APP_PERMISSIONS, ...PARTNER_ONLY_PERMISSIONS];

export async function startHarness(
  options: {
    seed?: number;
    customers?: number;
    usersPerTenant?: number;
    /** Latency, throttling: passed to the servers as they are. */
    servers?: Pick<EmulatorServersOptions<World>, 'latency' | 'latencySleep' | 'throttle'>;
  } = {},
): Promise<Harness> {
  const clock = testClock();
  const world = createWorld({
    seed: options.seed ?? 1,
    customers: options.customers ?? 8,
    usersPerTenant: options.usersPerTenant ?? 60,
    clock,
  });
  const emulator = await startEmulatorServers({ world, registerGraphRoutes, clock, seed: options.seed ?? 1, ...options.servers });
  const { partner } = world;
  const graph = emulator.urls.graphBaseUrl;
  const issuer = (tenantId: string) => `${emulator.urls.authorityHost}/${tenantId}/v2.0`;
  return {
    emulator,
    world,
    clock,
    graph,
    appToken: (tenantId, roles = ALL_PERMISSIONS) =>
      emulator.tokens.issueAccessToken({
        issuer: issuer(tenantId),
        tenantId,
        clientId: partner.app.clientId,
        appDisplayName: 'docsync',
        kind: 'app',
        roles: [...roles],
      }).accessToken,
    delegatedToken: (tenantId, scopes = ALL_PERMISSIONS, userId = partner.adminUser.id) =>
      emulator.tokens.issueAccessToken({
        issuer: issuer(tenantId),
        tenantId,
        clientId: partner.app.clientId,
        appDisplayName: 'docsync',
        kind: 'delegated',
        user: {
          id: userId,
          userPrincipalName: partner.adminUser.userPrincipalName,
          displayName: partner.adminUser.displayName,
          homeTenantId: partner.tenantId,
        },
        scopes: [...scopes],
        wids: [],
      }).accessToken,
    async get(path, token, headers = {}) {
      const response = await fetch(path.startsWith('http') ? path : `${graph}${path}`, {
        headers: { Authorization: `Bearer ${token}`, ...headers },
        redirect: 'manual',
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, json, text };
    },
    close: () => emulator.close(),
  };
}

/**
 * The Graph SDK (v3) only knows https:// URLs (AuthenticationHandler, GraphRequest.parsePath),
 * so SDK tests give it an https base URL and this step, placed just before HTTPMessageHandler,
 * sends loopback https requests over http to the same host:port.
 */
export function loopbackOverHttp(port: string | number): Middleware {
  const step: Middleware & { next?: Middleware } = {
    async execute(context: Context) {
      const url = typeof context.request === 'string' ? context.request : context.request.url;
      const plain = url.replace(`https://127.0.0.1:${port}/`, `http://127.0.0.1:${port}/`);
      context.request = typeof context.request === 'string' ? plain : new Request(plain, context.request);
      await step.next!.execute(context);
    },
    setNext(next: Middleware) {
      step.next = next;
    },
  };
  return step;
}
