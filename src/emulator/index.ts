// startEmulator: the Microsoft cloud emulator from code (tests, `docsync demo`, benchmarks).
// The identity platform and Graph run as two HTTP servers on loopback; the world behind them
// is deterministic from the seed.
import type { Logger } from 'pino';
import type { FaultRuleInput } from './faults.ts';
import { startEmulatorServers, type EmulatorControl, type EmulatorCredentials, type EmulatorUrls } from './server.ts';
import type { TokenService } from './identity/tokens.ts';
import { createWorld, type ExplicitCustomer, type World } from './world.ts';
import { registerGraphRoutes } from './graph/index.ts';
import type { EmulatorClock } from './world-types.ts';
import type { LatencySleep, LatencySpec } from './latency.ts';
import type { GraphThrottle, ThrottleLimits } from './graph/throttle.ts';

export type { EmulatorControl, EmulatorCredentials, EmulatorUrls } from './server.ts';
export type { FaultAction, FaultRuleInput, FaultRule } from './faults.ts';

export interface StartEmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Identity server port (default 0 = any free port); Graph takes another free port. */
  port?: number;
  seed?: number;
  customers?: number;
  usersPerTenant?: number;
  /** Tenants whose generated users and devices stay in memory (default 16; least recently used go). */
  cachedTenants?: number;
  /** Injected clock (tests move it); default: wall time that control.advanceClock can move. */
  clock?: EmulatorClock;
  /** /authorize redirects at once with a code for the partner admin (scripted runs). */
  autoConsent?: boolean;
  faults?: FaultRuleInput[];
  /** Customers from a world file (`--world FILE`) instead of `customers` generated ones. */
  explicitCustomers?: ExplicitCustomer[];
  /** Microsoft-like answer times (`--latency p50=MS,p99=MS`, latency.ts); none: answers at once. */
  latency?: LatencySpec;
  /** How latency waits (tests record delays instead); default setTimeout. */
  latencySleep?: LatencySleep;
  /** Graph enforces Microsoft's documented limits with 429 + Retry-After (`--throttle`, graph/throttle.ts). */
  throttle?: boolean | { limits?: Partial<ThrottleLimits> };
  /** Request errors and lifecycle lines; silent when absent. */
  logger?: Logger;
}

export interface RunningEmulator {
  urls: EmulatorUrls;
  credentials: EmulatorCredentials;
  control: EmulatorControl;
  world: World;
  tokens: TokenService;
  clock: EmulatorClock;
  /** Report downloads served by the reports.office.com stand-in, and how many carried an Authorization header. */
  reportDownloads: { total: number; withAuthorization: number };
  /** Graph's throttling when on (its counters: admitted, throttled, by limit and app). */
  throttle: GraphThrottle | undefined;
  close(): Promise<void>;
}

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const seed = options.seed ?? 1;
  // The world and the servers must share one clock: build it here when the caller gave none.
  let offset = 0;
  const clock: EmulatorClock & { advance?: (ms: number) => void } = options.clock ?? {
    now: () => new Date(Date.now() + offset),
    advance: (ms: number) => void (offset += ms),
  };
  const world = createWorld({
    seed,
    customers: options.customers ?? 3,
    usersPerTenant: options.usersPerTenant ?? 50,
    cachedTenants: options.cachedTenants,
    clock,
    explicitCustomers: options.explicitCustomers,
  });
  const running = await startEmulatorServers<World>({
    world,
    registerGraphRoutes,
    host: options.host,
    port: options.port,
    seed,
    clock,
    autoConsent: options.autoConsent,
    faults: options.faults,
    latency: options.latency,
    latencySleep: options.latencySleep,
    throttle: options.throttle,
    logger: options.logger,
  });
  if (!options.clock) {
    running.control.advanceClock = (ms) => clock.advance!(ms);
  }
  return running;
}
