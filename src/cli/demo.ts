// `docsync demo`: docsync end to end on one machine — the embedded database, the Microsoft cloud
// emulator in this process, a GDAP integration connected with the emulator's partner sign-in,
// the web UI, a worker and the schedule.
//
//   docsync demo [--port N] [--data-dir DIR]      first stdout line: {"url","username","password"}
//   docsync demo --once --data-dir DIR [--seed S] [--customers N] [--users-per-tenant M] [--world FILE] --json
//                                                 discovery + one full sync, one JSON line
import { performance } from 'node:perf_hooks';
import closeWithGrace from 'close-with-grace';
import type { Kysely } from 'kysely';
import { loadConfig, publicBaseUrl } from '../config.ts';
import { createContext, type AppContext } from '../context.ts';
import { migrateToLatest } from '../db/migrate.ts';
import type { Database } from '../db/schema.ts';
import { integerFlag, parseCommandArgs } from './args.ts';
import { loadWorldFile } from './world-file.ts';
import { MICROSOFT_LIKE_FLAGS, microsoftLikeOptions } from './emulator-flags.ts';
import { startEmulator, type RunningEmulator } from '../emulator/index.ts';
import { partnerStaff, staffGroups } from '../emulator/identity/staff.ts';
import type { SyncMicrosoft } from '../sync/microsoft-wiring.ts';
import { createSyncWorker } from '../sync/worker.ts';
import { createActionWorker } from '../actions/engine.ts';
import { queueDueRotations } from '../actions/rotation-schedules.ts';
import { actionDepsFor } from '../actions/wiring.ts';
import { setActionsEnabled } from '../actions/integration-actions.ts';
import { WRITE_SCOPES } from '../actions/roles.ts';
import { ROLES } from '../emulator/world/catalog.ts';
import { onScheduleTick, startSchedule } from '../sync/schedule.ts';
import { childRuns, enqueueIntegrationRun, getRun } from '../sync/runs.ts';
import type { DecisionCounts } from '../sync/tenant-sync.ts';
import { DAY_MS } from '../time.ts';
import { currentRecordCount, seedContacts, seedOrganization } from '../stores/demo-seed.ts';
import { integrationIdByName } from '../stores/integrations.ts';
import { anyOrganization } from '../stores/organizations.ts';

const DEFAULT_DATA_DIR = './.docsync/data';
/** Inside the 30-day reminder window, outside the 7-day one: the demo shows the banner and a reminder. */
const DEMO_SECRET_DAYS_LEFT = 20;

export async function demo(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    once: { type: 'boolean' },
    json: { type: 'boolean' },
    seed: { type: 'string' },
    customers: { type: 'string' },
    'users-per-tenant': { type: 'string' },
    world: { type: 'string' },
    ...MICROSOFT_LIKE_FLAGS,
  });
  const microsoftLike = microsoftLikeOptions(values);
  const world = values.world === undefined ? undefined : await loadWorldFile(values.world);
  if (world && 'error' in world) {
    process.stderr.write(`${world.error}\n`);
    return 2;
  }
  const seed = integerFlag('seed', values.seed, 1, 0, 2 ** 31 - 1);
  const customers = integerFlag('customers', values.customers, values.once ? 10 : 12, 1, 100_000);
  const usersPerTenant = integerFlag('users-per-tenant', values['users-per-tenant'], 25, 1, 100_000);
  const port = integerFlag('port', values.port, 8080, 0, 65535);
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;

  const started = performance.now();
  const emulator = await startEmulator({
    seed,
    customers,
    usersPerTenant,
    autoConsent: true,
    explicitCustomers: world?.customers,
    ...microsoftLike,
  });
  const config = loadConfig({
    overrides: {
      database: { url: null, dataDir },
      microsoft: { authorityHost: emulator.urls.authorityHost, graphBaseUrl: emulator.urls.graphBaseUrl },
      // "Sign in with Microsoft" against the emulator's partner tenant: its staff, mapped by group.
      sso: demoSingleSignOn(emulator),
      http: { port },
      ...(values.once ? { log: { level: 'warn' } } : {}),
    },
  });
  const ctx = await createContext(config);
  try {
    await migrateToLatest(ctx.database.db);
    const microsoft = ctx.microsoft;
    // A world file is the caller's world: its relationships and documentation stay as given.
    if (!world) enableDemoWrites(emulator);
    const integrationId = await connectDemoIntegration(ctx, microsoft, emulator, seed);
    await setActionsEnabled(
      ctx.database.db,
      { id: null, label: 'demo', role: 'administrator', canAct: true },
      integrationId,
      true,
      ctx.clock.now(),
      ctx.config.microsoft,
    );
    const discovered = (await microsoft.discovery.discover(integrationId)).counts.discovered;
    if (world) await documentWorldCustomers(ctx.database.db, emulator);
    else await seedDocumentation(ctx.database.db, emulator);

    if (values.once) {
      const line = await syncOnce(ctx, microsoft, integrationId, discovered, started);
      process.stdout.write(`${JSON.stringify(line)}\n`);
      return line.tenants.failed > 0 && line.tenants.synced === 0 ? 1 : 0;
    }
    const alex = partnerStaff(emulator.world.partner)[0]!;
    const ssoHint = `"Sign in with Microsoft" works with the emulator's partner staff, e.g. ${alex.userPrincipalName} / ${alex.password}`;
    return await serveDemo(ctx, microsoft, integrationId, emulator.urls, ssoHint);
  } finally {
    await ctx.close();
    await emulator.close();
  }
}

/**
 * Lifecycle actions in the demo: one customer has consented the write permissions and gives
 * the partner's group User, License, Groups and Exchange Administrator; the others stay read-only.
 */
function enableDemoWrites(emulator: RunningEmulator): void {
  // The second customer: its organization is documented under its own name (seedDocumentation).
  const first = emulator.world.customers()[1];
  if (!first) return;
  emulator.world.grantDelegatedScopes(first.tenantId, [...WRITE_SCOPES]);
  emulator.world.setAccessRoles(first.tenantId, [
    ROLES.directoryReaders,
    ROLES.globalReader,
    ROLES.userAdministrator,
    ROLES.licenseAdministrator,
    ROLES.groupsAdministrator,
    ROLES.exchangeAdministrator,
  ]);
}

/** Single sign-on settings for the emulator's partner tenant (the same app registration as the GDAP connection). */
function demoSingleSignOn(emulator: RunningEmulator) {
  const groups = staffGroups(emulator.world.partner);
  const { partnerTenantId, clientId, clientSecret } = emulator.credentials;
  const groupRoles = { [groups.technicians]: 'technician' as const, [groups.administrators]: 'administrator' as const };
  return { tenantId: partnerTenantId, clientId, clientSecret, autoCreate: true, defaultRole: 'read_only' as const, groupRoles };
}

/** The GDAP integration, connected with the emulator partner admin's refresh token. */
async function connectDemoIntegration(ctx: AppContext, microsoft: SyncMicrosoft, emulator: RunningEmulator, seed: number): Promise<string> {
  const { partnerTenantId, clientId, clientSecret, refreshToken } = emulator.credentials;
  const name = `Demo partner (emulator, seed ${seed})`;
  // Counted from the demo's clock on every start, so the expiry banner always has something to say.
  const clientSecretExpiresAt = new Date(ctx.clock.now().getTime() + DEMO_SECRET_DAYS_LEFT * DAY_MS);
  const existing = await integrationIdByName(ctx.database.db, name);
  const id = existing
    ? existing
    : (
        await microsoft.integrations.create({
          kind: 'gdap',
          name,
          tenantId: partnerTenantId,
          clientId,
          clientSecret,
          clientSecretExpiresAt,
        })
      ).id;
  // The emulator is new on every start: its secret and refresh tokens are this process's.
  if (existing) await microsoft.integrations.updateClientSecret(id, clientSecret, clientSecretExpiresAt);
  await microsoft.integrations.storeRefreshToken(id, refreshToken);
  microsoft.tokens.forget(id);
  return id;
}

interface OnceLine {
  tenants: { discovered: number; synced: number; failed: number };
  users: number;
  devices: number;
  mailboxes: number;
  licenses: number;
  writes: { created: number; updated: number; unchanged: number };
  decisions: DecisionCounts;
  graphRequests: number;
  throttled: number;
  seconds: number;
}

async function syncOnce(
  ctx: AppContext,
  microsoft: SyncMicrosoft,
  integrationId: string,
  discovered: number,
  started: number,
): Promise<OnceLine> {
  const db = ctx.database.db;
  const decisions: DecisionCounts = { match: 0, create: 0, review: 0, pending: 0, skip: 0 };
  const runId = await enqueueIntegrationRun(db, { integrationId, trigger: 'demo', now: ctx.clock.now() });
  const worker = createSyncWorker(microsoft.runner, {
    concurrency: ctx.config.sync.maxConcurrency,
    fullListing: true,
    onTenantFinished: (outcome) => {
      if (!outcome.result) return;
      for (const key of Object.keys(decisions) as Array<keyof DecisionCounts>) decisions[key] += outcome.result.decisions[key];
    },
  });
  await worker.drain({ runId });
  const run = (await getRun(db, runId))!;
  const children = await childRuns(db, runId);
  const synced = children.filter((c) => c.status === 'succeeded' || c.status === 'partial').length;
  const count = (table: Parameters<typeof currentRecordCount>[2]) => currentRecordCount(db, integrationId, table);
  return {
    tenants: { discovered, synced, failed: children.length - synced },
    users: await count('ms_users'),
    devices: await count('ms_managed_devices'),
    mailboxes: await count('ms_mailboxes'),
    licenses: await count('ms_subscribed_skus'),
    writes: { created: run.created, updated: run.updated, unchanged: run.unchanged },
    decisions,
    graphRequests: run.graph_requests,
    throttled: run.throttled,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}

async function serveDemo(
  ctx: AppContext,
  microsoft: SyncMicrosoft,
  integrationId: string,
  emulatorUrls: RunningEmulator['urls'],
  ssoHint: string,
): Promise<number> {
  const { buildApp } = await import('../app.ts');
  const { ensureDemoTechnician } = await import('../auth/accounts.ts');
  const login = await ensureDemoTechnician(ctx);
  const app = await buildApp(ctx);
  await app.listen({ host: ctx.config.http.host, port: ctx.config.http.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : ctx.config.http.port;
  // "emulator": where scripts drive the demo's Microsoft (/_emulator/world, /_emulator/faults).
  const emulator = { authorityHost: emulatorUrls.authorityHost, graphBaseUrl: emulatorUrls.graphBaseUrl };
  const firstLine = { url: publicBaseUrl(ctx.config, port), username: login.username, password: login.password, emulator };
  process.stdout.write(`${JSON.stringify(firstLine)}\n`);
  // After the first line, which is the demo's contract: the emulator's SSO login for people, on stderr.
  process.stderr.write(`${ssoHint}\n`);

  const worker = createSyncWorker(microsoft.runner, { concurrency: ctx.config.sync.maxConcurrency });
  const schedule = startSchedule({
    db: ctx.database.db,
    secrets: ctx.secrets,
    log: ctx.log,
    clock: ctx.clock,
    retentionDays: ctx.config.sync.runRetentionDays,
    owner: worker.workerId,
    expression: ctx.config.sync.schedule,
    onQueued: () => void worker.fillSlots(),
  });
  // A first sync right away, so the UI has something to show.
  await enqueueIntegrationRun(ctx.database.db, { integrationId, trigger: 'demo', now: ctx.clock.now() });
  // And the schedule's work once now rather than at the next hour: it stacks no second run on the
  // queued one, and writes the client secret reminder into that run's log.
  await onScheduleTick({
    db: ctx.database.db,
    secrets: ctx.secrets,
    log: ctx.log,
    clock: ctx.clock,
    retentionDays: ctx.config.sync.runRetentionDays,
    owner: worker.workerId,
  });
  worker.start();
  const actionDeps = actionDepsFor(ctx, microsoft);
  const actionWorker = createActionWorker(actionDeps, { workerId: worker.workerId, beforeClaim: () => queueDueRotations(actionDeps) });
  actionWorker.start();
  await new Promise<void>((resolve) => {
    closeWithGrace({ delay: 15_000 }, async ({ err }) => {
      if (err) ctx.log.error({ err }, 'demo stopping after an error');
      await schedule.stop();
      await worker.stop();
      await actionWorker.stop();
      await app.close();
      resolve();
    });
  });
  return 0;
}

/**
 * A documentation base to reconcile against, as an MSP would have it before docsync: some
 * customers documented under the same name, some under a variant (a suggestion for the
 * technician), some found by domain, some not at all; a few contacts already typed in — one of
 * them twice, so the first sync has a review for the technician to resolve.
 * Seeded once per data directory, deterministically from the emulator's world.
 */
/**
 * A world file's customers are each documented as an organization of the same name and domains
 * (nothing else), so the first sync creates the contacts of the file's users.
 */
async function documentWorldCustomers(db: Kysely<Database>, emulator: RunningEmulator): Promise<void> {
  if (await anyOrganization(db)) return;
  for (const customer of emulator.world.customers()) {
    const domains = customer.domains.filter((d) => d.isVerified && !d.isInitial).map((d) => d.id.toLowerCase());
    await seedOrganization(db, { name: customer.displayName, domains });
  }
}

async function seedDocumentation(db: Kysely<Database>, emulator: RunningEmulator): Promise<void> {
  if (await anyOrganization(db)) return;
  let duplicateSeeded = false;
  for (const customer of emulator.world.customers()) {
    const kind = customer.index % 4;
    if (kind === 0) continue; // undocumented: the technician decides
    const name =
      kind === 1
        ? customer.displayName
        : kind === 2
          ? `${customer.displayName} Group`
          : `${customer.displayName.split(' ')[0]} (legacy name)`;
    const domains = kind === 3 ? [customer.defaultDomain.toLowerCase()] : [];
    const organizationId = await seedOrganization(db, { name, domains });
    if (kind !== 1) continue;
    for (let slot = 0; slot < 3; slot++) {
      const user = emulator.world.userAt(customer.tenantId, slot)?.record;
      if (!user) continue;
      const email = user.mail ?? user.userPrincipalName;
      await seedContacts(db, [
        { organizationId, firstName: user.givenName ?? null, lastName: user.surname ?? null, email: slot < 2 ? email : null },
      ]);
    }
    if (!duplicateSeeded) duplicateSeeded = await seedDuplicateContact(db, emulator, customer.tenantId, organizationId);
  }
}

/**
 * The same person typed in twice (no email on either), named like one of the tenant's synced
 * users: the name rule finds two candidates and, rather than guess, asks for a review.
 */
async function seedDuplicateContact(
  db: Kysely<Database>,
  emulator: RunningEmulator,
  tenantId: string,
  organizationId: string,
): Promise<boolean> {
  const users = Array.from({ length: Math.min(emulator.world.userCount(tenantId), 60) }, (_, slot) =>
    emulator.world.userAt(tenantId, slot),
  );
  const nameOf = (u: (typeof users)[number]) => `${u?.record.givenName ?? ''}|${u?.record.surname ?? ''}`;
  // A user the sync keeps (not a guest, shared mailbox, room or disabled account), not one of the
  // contacts seeded above (slots 0–2), whose name no other user of the tenant has.
  const chosen = users.find(
    (u) =>
      u !== undefined &&
      u.slot > 2 &&
      (u.kind === 'member' || u.kind === 'unlicensed') &&
      u.record.accountEnabled &&
      u.record.givenName &&
      u.record.surname &&
      users.filter((other) => nameOf(other) === nameOf(u)).length === 1,
  );
  if (!chosen) return false;
  const person = { organizationId, firstName: chosen.record.givenName ?? null, lastName: chosen.record.surname ?? null };
  await seedContacts(db, [person, person]);
  return true;
}
