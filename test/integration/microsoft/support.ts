// Shared by the Microsoft integration tests: an emulator (real HTTP, real MSAL), a docsync
// context on a fresh database pointed at it, a captured log, a movable clock.
import { Writable } from 'node:stream';
import pino from 'pino';
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from '../../../src/emulator/index.ts';
import { createMicrosoftTestContext } from '../../unit/microsoft/support/database.ts';
import { createMicrosoft, type Microsoft } from '../../../src/microsoft/index.ts';
import type { AppContext } from '../../../src/context.ts';
import type { DatabaseKind } from '../../../src/db/database.ts';

export interface MicrosoftHarness {
  emulator: RunningEmulator;
  ctx: AppContext;
  microsoft: Microsoft;
  clock: { now(): Date; advance(ms: number): void };
  logLines: string[];
  /** Waits requested through the injected sleep (Retry-After, backoff, pacing). */
  sleeps: number[];
  /** A second docsync process on the same database (own MSAL, own caches). */
  secondProcess(): Microsoft;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    kind?: DatabaseKind;
    customers?: number;
    usersPerTenant?: number;
    autoConsent?: boolean;
    /** Graph's throttling on; docsync's waits then move the emulator's clock too (its buckets refill). */
    throttle?: StartEmulatorOptions['throttle'];
  } = {},
): Promise<MicrosoftHarness> {
  const emulator = await startEmulator({
    customers: options.customers ?? 6,
    usersPerTenant: options.usersPerTenant ?? 5,
    autoConsent: options.autoConsent ?? false,
    throttle: options.throttle,
  });
  let now = Date.now();
  const clock = { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const ctx = await createMicrosoftTestContext(options.kind ?? 'pglite', {
    authorityHost: emulator.urls.authorityHost,
    graphBaseUrl: emulator.urls.graphBaseUrl,
    clock,
    log,
  });
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    clock.advance(ms);
    if (options.throttle) emulator.control.advanceClock(ms);
  };
  const build = () => createMicrosoft({ config: ctx.config, db: ctx.database.db, secrets: ctx.secrets, log, clock, sleep });
  return {
    emulator,
    ctx,
    microsoft: build(),
    clock,
    logLines,
    sleeps,
    secondProcess: build,
    async close() {
      await ctx.close();
      await emulator.close();
    },
  };
}

/** A GDAP integration connected with the emulator partner admin's refresh token. */
export async function connectedIntegration(h: MicrosoftHarness, overrides: { clientSecret?: string } = {}): Promise<string> {
  const c = h.emulator.credentials;
  const integration = await h.microsoft.integrations.create({
    kind: 'gdap',
    name: 'Emulated partner',
    tenantId: c.partnerTenantId,
    clientId: c.clientId,
    clientSecret: overrides.clientSecret ?? c.clientSecret,
  });
  await h.microsoft.integrations.storeRefreshToken(integration.id, h.emulator.control.issuePartnerRefreshToken());
  return integration.id;
}

/** Counts token requests at the emulator (a zero-delay fault rule counts the calls it matches). */
export function countTokenRequests(h: MicrosoftHarness, tenant?: string): () => number {
  const rule = h.emulator.control.faults.add({
    server: 'identity',
    endpoint: '*/oauth2/v2.0/token',
    ...(tenant ? { tenant } : {}),
    action: { kind: 'delay', ms: 0 },
  });
  return () => h.emulator.control.faults.list().find((r) => r.id === rule.id)?.fired ?? 0;
}

export const customerByIndex = (h: MicrosoftHarness, index: number) => h.emulator.world.customers().find((c) => c.index === index)!;
