// The emulator's server shell: two Fastify servers in one process (identity platform and
// Graph), each with seeded request ids, the fault hook and the admin API, plus the control
// surface tests and the CLI drive. World-agnostic: index.ts plugs in the real world and
// Graph routes; the identity tests plug in a small hand-made world.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createFaultInjector, installFaults, type EmulatorServerName, type FaultInjector, type FaultRuleInput } from './faults.ts';
import { seededRandom, type SeededRandom } from './identity/random.ts';
import { registerIdentityRoutes } from './identity/routes.ts';
import { createTokenService, partnerAdminUser, type TokenService } from './identity/tokens.ts';
import type { EmulatorClock, IdentityWorld } from './world-types.ts';
import type { ReportDownloadHost } from './graph/context.ts';
import { createGraphThrottle, type GraphThrottle, type ThrottleLimits } from './graph/throttle.ts';
import { createLatencyModel, installLatency, type LatencySleep, type LatencySpec } from './latency.ts';

export interface EmulatorUrls {
  /** e.g. http://127.0.0.1:41001 (no trailing slash) */
  authorityHost: string;
  /** e.g. http://127.0.0.1:41002 (no trailing slash; Graph paths are /v1.0/… and /beta/…) */
  graphBaseUrl: string;
}

export interface EmulatorCredentials {
  partnerTenantId: string;
  clientId: string;
  clientSecret: string;
  /** A refresh token of the partner's GDAP admin for the partner's app, already consented. */
  refreshToken: string;
}

export interface EmulatorControl {
  faults: Pick<FaultInjector, 'add' | 'remove' | 'clear' | 'list'>;
  /** "Revoke sessions" for one user (or everyone): their refresh tokens fail with AADSTS50173. */
  revokeRefreshTokens(userId?: string): void;
  /** Removes the app's consent in a tenant (the world must support it). */
  removeConsent(tenantId: string): void;
  /** A fresh refresh token of the partner admin, as after a new sign-in. */
  issuePartnerRefreshToken(): string;
  setAutoConsent(on: boolean): void;
  /** Moves the emulator's own clock forward (not available when the caller injected a clock). */
  advanceClock(ms: number): void;
}

export interface RunningEmulatorCore<W extends IdentityWorld> {
  urls: EmulatorUrls;
  credentials: EmulatorCredentials;
  control: EmulatorControl;
  world: W;
  tokens: TokenService;
  clock: EmulatorClock;
  /** Report downloads served by the reports.office.com stand-in (another origin). */
  reportDownloads: ReportDownloadHost['served'];
  /** Graph's throttling, when on: its counters say what was admitted and refused. */
  throttle: GraphThrottle | undefined;
  close(): Promise<void>;
}

export type GraphRoutesRegistrar<W> = (
  app: FastifyInstance,
  deps: {
    world: W;
    tokens: Pick<TokenService, 'verifyAccessToken'>;
    clock: EmulatorClock;
    graphBaseUrl: () => string;
    reportDownloads: ReportDownloadHost;
    throttle?: GraphThrottle;
  },
) => Promise<void>;

export interface EmulatorServersOptions<W extends IdentityWorld> {
  world: W;
  /** Registers /v1.0, /beta, /_reports and /_emulator/world routes on the Graph server. */
  registerGraphRoutes?: GraphRoutesRegistrar<W>;
  host?: string;
  /** Identity server port (0 = any free port); Graph takes another free port. */
  port?: number;
  seed?: number;
  /** Injected clock; without one the emulator runs on wall time that control.advanceClock can move. */
  clock?: EmulatorClock;
  autoConsent?: boolean;
  faults?: FaultRuleInput[];
  /** Microsoft-like answer times on all three servers (latency.ts); none: answers at once. */
  latency?: LatencySpec;
  /** How the latency waits (tests record the delays instead of waiting). */
  latencySleep?: LatencySleep;
  /** Graph enforces Microsoft's documented limits (graph/throttle.ts); `limits` replaces some (tests). */
  throttle?: boolean | { limits?: Partial<ThrottleLimits> };
  logger?: Logger;
}

/** Wall time plus an offset the control API can move forward. */
function offsetClock(): EmulatorClock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

function createServerShell(name: EmulatorServerName, random: SeededRandom, logger: Logger | undefined): FastifyInstance {
  const app = Fastify({
    // warn and above only: per-request lines would be noise (and URLs carry codes and state).
    ...(logger ? { loggerInstance: logger.child({ emulator: name }, { level: 'warn' }) } : { logger: false }),
    genReqId: () => random.uuid(),
    bodyLimit: 4 * 1024 * 1024,
  });
  return app as unknown as FastifyInstance;
}

const urlOf = (app: FastifyInstance, host: string): string => {
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the emulator server is not listening on TCP');
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `http://${hostPart}:${address.port}`;
};

export async function startEmulatorServers<W extends IdentityWorld>(options: EmulatorServersOptions<W>): Promise<RunningEmulatorCore<W>> {
  const { world } = options;
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? 1;
  const ownClock = options.clock ? undefined : offsetClock();
  const clock: EmulatorClock = options.clock ?? ownClock!;
  let autoConsent = options.autoConsent ?? false;
  // Separate streams so adding a fault rule does not shift token lifetimes or request ids.
  const tokens = createTokenService({ clock, world, random: seededRandom(seed * 7919 + 1) });
  const faults = createFaultInjector({ random: seededRandom(seed * 7919 + 2), resolveTenantId: (t) => world.resolveTenantId(t) });
  for (const rule of options.faults ?? []) faults.add(rule);

  let graphBaseUrl = '';
  const identity = createServerShell('identity', seededRandom(seed * 7919 + 3), options.logger);
  const graph = createServerShell('graph', seededRandom(seed * 7919 + 4), options.logger);
  const resolveTenantId = (t: string) => world.resolveTenantId(t);
  installFaults(identity, { server: 'identity', faults, clock, resolveTenantId });
  installFaults(graph, { server: 'graph', faults, clock, resolveTenantId });

  const partner = world.partner;
  const partnerAdmin = partnerAdminUser(partner);
  const control: EmulatorControl = {
    faults: { add: (r) => faults.add(r), remove: (id) => faults.remove(id), clear: () => faults.clear(), list: () => faults.list() },
    revokeRefreshTokens: (userId) => tokens.revokeRefreshTokens(userId),
    removeConsent(tenantId) {
      const mutable = world as unknown as { removeConsent?: (tenantId: string) => void };
      if (typeof mutable.removeConsent !== 'function') throw new Error('this world cannot remove consent');
      mutable.removeConsent(tenantId);
    },
    issuePartnerRefreshToken: () => tokens.issueRefreshToken({ user: partnerAdmin, clientId: partner.app.clientId }),
    setAutoConsent: (on) => void (autoConsent = on),
    advanceClock(ms) {
      if (!ownClock) throw new Error('the emulator runs on an injected clock: move that clock instead');
      ownClock.advance(ms);
    },
  };

  await registerIdentityRoutes(identity, {
    world,
    tokens,
    clock,
    autoConsent: () => autoConsent,
    graphIdentifiers: () => (graphBaseUrl ? [graphBaseUrl, graphBaseUrl.replace(/^http:/, 'https:')] : []),
  });
  installIdentityControlRoutes(identity, control);
  // The report download host: its own port, so its origin differs from Graph's (as
  // reports.office.com differs from graph.microsoft.com).
  const downloads = createServerShell('graph', seededRandom(seed * 7919 + 5), options.logger);
  let downloadsBaseUrl = '';
  const reportDownloads: ReportDownloadHost = {
    app: downloads,
    baseUrl: () => downloadsBaseUrl,
    served: { total: 0, withAuthorization: 0 },
  };
  if (options.latency) {
    // A stream of its own: turning latency on does not change request ids or token lifetimes.
    const model = createLatencyModel(options.latency, seededRandom(seed * 7919 + 6));
    const sleep = options.latencySleep;
    installLatency(identity, model, { sleep });
    installLatency(graph, model, { sleep, isReport: (url) => /^\/(v1\.0|beta)\/reports\//i.test(url) });
    installLatency(downloads, model, { sleep, isReport: () => true });
  }
  const throttle = options.throttle
    ? createGraphThrottle({
        now: () => clock.now().getTime(),
        // Identity limits depend on the tenant's size; a world that cannot tell counts as small.
        tenantUsers: (tenantId) => (world as Partial<{ userSlotCount(t: string): number }>).userSlotCount?.(tenantId) ?? 0,
        limits: options.throttle === true ? undefined : options.throttle.limits,
      })
    : undefined;
  if (throttle) installThrottleControlRoutes(graph, throttle);
  if (options.registerGraphRoutes) {
    await graph.register(options.registerGraphRoutes, {
      world,
      tokens,
      clock,
      graphBaseUrl: () => graphBaseUrl,
      reportDownloads,
      throttle,
    });
  }

  await identity.listen({ host, port: options.port ?? 0 });
  try {
    await graph.listen({ host, port: 0 });
    await downloads.listen({ host, port: 0 });
  } catch (err) {
    await Promise.allSettled([identity.close(), graph.close()]);
    throw err;
  }
  const authorityHost = urlOf(identity, host);
  graphBaseUrl = urlOf(graph, host);
  downloadsBaseUrl = urlOf(downloads, host);

  return {
    urls: { authorityHost, graphBaseUrl },
    credentials: {
      partnerTenantId: partner.tenantId,
      clientId: partner.app.clientId,
      clientSecret: partner.app.clientSecret,
      refreshToken: control.issuePartnerRefreshToken(),
    },
    control,
    world,
    tokens,
    clock,
    reportDownloads: reportDownloads.served,
    throttle,
    async close() {
      await Promise.allSettled([identity.close(), graph.close(), downloads.close()]);
    },
  };
}

/** GET /_emulator/throttle: what Graph admitted and refused (scripts, the sync bench); DELETE resets. */
function installThrottleControlRoutes(app: FastifyInstance, throttle: GraphThrottle): void {
  app.get('/_emulator/throttle', async () => throttle.counters());
  app.delete('/_emulator/throttle', async (_request, reply) => {
    throttle.reset();
    return reply.status(204).send();
  });
}

/** Identity-side state changes on demand (the fault API covers call-level faults). */
function installIdentityControlRoutes(app: FastifyInstance, control: EmulatorControl): void {
  app.post('/_emulator/identity/revoke-sessions', async (request, reply) => {
    const userId = (request.body as { userId?: unknown } | undefined)?.userId;
    control.revokeRefreshTokens(typeof userId === 'string' ? userId : undefined);
    return reply.status(204).send();
  });
  app.post('/_emulator/identity/remove-consent', async (request, reply) => {
    const tenantId = (request.body as { tenantId?: unknown } | undefined)?.tenantId;
    if (typeof tenantId !== 'string') return reply.status(400).send({ error: { code: 'bad_request', message: 'tenantId is required' } });
    control.removeConsent(tenantId);
    return reply.status(204).send();
  });
  app.post('/_emulator/identity/auto-consent', async (request, reply) => {
    control.setAutoConsent((request.body as { on?: unknown } | undefined)?.on === true);
    return reply.status(204).send();
  });
  app.post('/_emulator/clock/advance', async (request, reply) => {
    const seconds = (request.body as { seconds?: unknown } | undefined)?.seconds;
    if (typeof seconds !== 'number' || !(seconds >= 0))
      return reply.status(400).send({ error: { code: 'bad_request', message: 'seconds (≥ 0) is required' } });
    try {
      control.advanceClock(seconds * 1000);
    } catch (err) {
      return reply.status(409).send({ error: { code: 'injected_clock', message: (err as Error).message } });
    }
    return reply.status(204).send();
  });
}
