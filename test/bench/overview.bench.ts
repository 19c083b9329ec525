// Issue 17's target for the cross-customer report: GET /api/reports/overview answers in < 300 ms
// at 1,000 tenants on Postgres, and its time does not grow with the snapshot history (400 days).
//
// Seeding goes through the stores a sync writes with, not through a sync, so 1,000 tenants take
// seconds: per tenant its users and subscribed SKUs (stores/staging.ts), MFA registration
// (stores/mfa.ts), then its report figures and today's snapshot computed the way every sync does
// (reports/snapshots.ts recordTenantReport); two licence prices (stores/licenses.ts). Only what no
// store inserts is plain SQL: the integration, the tenants, half of them matched to organizations,
// and the 399 earlier days of snapshots (one generate_series statement).
// The report is timed twice, with one day of snapshots and with 400, each after one warm-up, over
// OVERVIEW_BENCH_REQUESTS in-process requests (app.inject).
// Size: OVERVIEW_BENCH_TENANTS (1000), OVERVIEW_BENCH_USERS users per tenant (25),
// OVERVIEW_BENCH_HISTORY_DAYS (400), OVERVIEW_BENCH_REQUESTS (20); OVERVIEW_BENCH_DB=postgres
// (default; DATABASE_URL's server or a throwaway one) or pglite. Small first: OVERVIEW_BENCH_TENANTS=100.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { sql, type Kysely } from 'kysely';
import { loadConfig } from '../../src/config.ts';
import { createContext, systemClock, type AppContext } from '../../src/context.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { Database } from '../../src/db/schema.ts';
import { buildApp } from '../../src/app.ts';
import { createTechnician } from '../../src/auth/accounts.ts';
import { stageRecords } from '../../src/stores/staging.ts';
import { saveRegistrationDetails, setMfaStatus } from '../../src/stores/mfa.ts';
import { recordTenantReport } from '../../src/reports/snapshots.ts';
import { overviewSource } from '../../src/stores/snapshots.ts';
import { allPrices, savePrice } from '../../src/stores/licenses.ts';
import { overviewReport } from '../../src/reports/overview.ts';
import { startPostgres, type PostgresServer } from '../support/postgres-server.ts';
import { createScratchDatabase } from './support/sync-bench-postgres.ts';

const env = process.env;
const TENANTS = Number(env.OVERVIEW_BENCH_TENANTS ?? 1000);
const USERS = Number(env.OVERVIEW_BENCH_USERS ?? 25);
const HISTORY_DAYS = Number(env.OVERVIEW_BENCH_HISTORY_DAYS ?? 400);
const REQUESTS = Number(env.OVERVIEW_BENCH_REQUESTS ?? 20);
const KIND = (env.OVERVIEW_BENCH_DB ?? 'postgres') as 'postgres' | 'pglite';
const TARGET_MS = 300;
const PASSWORD = 'bench-password-for-overview-17';
const E3 = '05e9a617-0261-4cee-bb44-138d3ef5d965';
const BUSINESS_BASIC = '3b555118-da6a-4418-894f-7df1e2096870';
const DAY_MS = 86_400_000;

type Db = Kysely<Database>;

const median = (sorted: number[]) =>
  sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
const p95 = (sorted: number[]) => sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;

/** One tenant's users as Microsoft lists them: some disabled, some unlicensed, some long inactive. */
function usersOf(t: number, now: Date) {
  return Array.from({ length: USERS }, (_, u) => {
    const id = `00000000-0000-4000-8000-${String(t * 10_000 + u).padStart(12, '0')}`;
    const licensed = u % 5 !== 4;
    const lastSignIn = new Date(now.getTime() - ((u * 7 + t) % 90) * DAY_MS).toISOString();
    return {
      key: id,
      data: {
        id,
        displayName: `User ${u} of ${t}`,
        userPrincipalName: `user${u}@customer${t}.example`,
        department: ['Sales', 'Finance', 'Operations'][u % 3],
        userType: 'Member',
        accountEnabled: u % 11 !== 10,
        assignedLicenses: licensed ? [{ skuId: u % 2 ? E3 : BUSINESS_BASIC, disabledPlans: [] }] : [],
        signInActivity: { lastSignInDateTime: lastSignIn, lastNonInteractiveSignInDateTime: null, lastSuccessfulSignInDateTime: null },
      },
    };
  });
}

function skusOf(t: number) {
  const sku = (skuId: string, partNumber: string, enabled: number) => ({
    key: skuId,
    data: {
      skuId,
      skuPartNumber: partNumber,
      capabilityStatus: 'Enabled',
      consumedUnits: Math.floor(USERS * 0.4),
      prepaidUnits: { enabled, warning: 0, suspended: 0, lockedOut: 0 },
    },
  });
  return [
    sku(E3, 'ENTERPRISEPACK', Math.ceil(USERS * 0.5) + (t % 4)),
    sku(BUSINESS_BASIC, 'O365_BUSINESS_ESSENTIALS', Math.ceil(USERS * 0.5)),
  ];
}

async function seed(db: Db, now: Date): Promise<void> {
  const integration = await db
    .insertInto('integrations')
    .values({ kind: 'gdap', name: 'Bench partner', partner_tenant_id: 'bench.onmicrosoft.com', client_id: 'c', status: 'connected' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`
    insert into tenants (integration_id, microsoft_tenant_id, display_name, default_domain, health, last_sync_at)
    select ${integration.id}::uuid, md5('tenant' || i)::uuid::text, 'Customer ' || lpad(i::text, 4, '0'), 'customer' || i || '.example',
      'ok', ${now}
    from generate_series(1, ${TENANTS}) i`.execute(db);
  // Half the tenants are documented as organizations (the report links them).
  await sql`
    with made as (
      insert into organizations (name, domains)
      select 'Customer ' || lpad(i::text, 4, '0'), array['customer' || i || '.example'] from generate_series(1, ${TENANTS}, 2) i
      returning id, name)
    insert into match_decisions (kind, tenant_id, source_id, state, target_id, rule, decided_by_technician)
    select 'organization', t.id, t.microsoft_tenant_id, 'matched', made.id, 'technician', true
    from made join tenants t on t.display_name = made.name`.execute(db);
  await savePrice(db, { integrationId: null, skuId: E3, monthlyPriceMinor: 3600, currency: 'EUR', by: null, now });
  await savePrice(db, { integrationId: null, skuId: BUSINESS_BASIC, monthlyPriceMinor: 600, currency: 'EUR', by: null, now });

  const tenants = await db.selectFrom('tenants').select(['id', 'integration_id', 'display_name']).orderBy('display_name').execute();
  let next = 0;
  const worker = async () => {
    while (next < tenants.length) {
      const index = next++;
      const tenant = tenants[index]!;
      const users = usersOf(index, now);
      await stageRecords(db, 'ms_users', tenant.id, users, { complete: true, now });
      await stageRecords(db, 'ms_subscribed_skus', tenant.id, skusOf(index), { complete: true, now });
      // Three tenants in four have Entra ID P1 (MFA registration readable).
      if (index % 4 !== 3) {
        await saveRegistrationDetails(
          db,
          tenant.id,
          users.map((u, i) => ({
            id: u.key,
            userPrincipalName: u.data.userPrincipalName,
            userDisplayName: u.data.displayName,
            isAdmin: i === 0,
            isMfaRegistered: i % 3 !== 0,
            isMfaCapable: i % 3 !== 0,
            methodsRegistered: i % 3 !== 0 ? ['microsoftAuthenticatorPush'] : [],
            defaultMethod: i % 3 !== 0 ? 'microsoftAuthenticatorPush' : null,
            userType: 'member',
            lastUpdatedDateTime: now.toISOString(),
          })),
          now,
        );
        await setMfaStatus(db, tenant.id, { state: 'available', reason: null, action: null }, now);
      } else {
        await setMfaStatus(db, tenant.id, { state: 'no_license', reason: 'no Entra ID P1 or P2', action: null }, now);
      }
      await recordTenantReport(db, { tenantId: tenant.id, integrationId: tenant.integration_id, now, inactiveDays: 30 });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

/** The days before today, as a year of daily syncs leaves them (one statement: no store inserts history in bulk). */
async function seedHistory(db: Db, now: Date): Promise<void> {
  await sql`
    insert into tenant_snapshots (tenant_id, taken_on, users, enabled_users, licensed_users, inactive_users, unused_paid_seats,
      waste_seats, monthly_waste_minor, currency, mfa_coverage, seats, taken_at)
    select s.tenant_id, (${now}::date - d), s.users, s.enabled_users, s.licensed_users, s.inactive_users, s.unused_paid_seats,
      s.waste_seats, s.monthly_waste_minor, s.currency, s.mfa_coverage, s.seats, s.taken_at - make_interval(days => d)
    from tenant_snapshots s cross join generate_series(1, ${HISTORY_DAYS - 1}) d`.execute(db);
  await sql`analyze`.execute(db);
}

async function timeOverview(app: Awaited<ReturnType<typeof buildApp>>, cookie: string): Promise<{ median: number; p95: number }> {
  const once = async () => {
    const start = performance.now();
    const response = await app.inject({ method: 'GET', url: '/api/reports/overview', headers: { cookie } });
    const ms = performance.now() - start;
    if (response.statusCode !== 200) throw new Error(`overview: ${response.statusCode} ${response.body.slice(0, 300)}`);
    const body = response.json() as { tenants: unknown[] };
    if (body.tenants.length !== TENANTS) throw new Error(`overview listed ${body.tenants.length} tenants, not ${TENANTS}`);
    return ms;
  };
  await once();
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS; i++) samples.push(await once());
  samples.sort((a, b) => a - b);
  return { median: median(samples), p95: p95(samples) };
}

/** Where the report's time goes: each of its reads on its own, median of five. */
async function breakdown(db: Db): Promise<string> {
  const timeOf = async (read: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await read();
      samples.push(performance.now() - start);
    }
    return median(samples.sort((a, b) => a - b)).toFixed(1);
  };
  return (
    `figures ${await timeOf(() => overviewSource(db))} ms, prices ${await timeOf(() => allPrices(db))} ms, ` +
    `the whole report without HTTP ${await timeOf(() => overviewReport(db))} ms`
  );
}

let server: PostgresServer | undefined;
let ctx: AppContext | undefined;
let drop = async () => {};
try {
  let url: string | null = null;
  if (KIND === 'postgres') {
    const scratch = await createScratchDatabase(env.DATABASE_URL ?? (server = await startPostgres()).url);
    url = scratch.url;
    drop = scratch.drop;
  }
  const config = loadConfig({
    env: { DOCSYNC_ENV: 'test' },
    overrides: { database: { url, dataDir: 'memory://' }, secrets: { encryptionKey: randomBytes(32).toString('base64') } },
  });
  ctx = await createContext(config, { log: pino({ level: 'silent' }) });
  const db = ctx.database.db;
  await migrateToLatest(db);
  const now = systemClock.now();
  console.log(`seeding ${TENANTS} tenants × ${USERS} users on ${KIND} through the stores…`);
  const seedStart = performance.now();
  await seed(db, now);
  await sql`analyze`.execute(db);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  console.log(`seeded in ${seedSeconds.toFixed(1)} s`);

  await createTechnician(
    { db, clock: systemClock },
    { username: 'bench-technician', password: PASSWORD, role: 'technician' },
    { id: null, label: 'overview bench' },
  );
  const app = await buildApp(ctx);
  await app.ready();
  try {
    const signIn = await app.inject({ method: 'POST', url: '/api/session', payload: { username: 'bench-technician', password: PASSWORD } });
    const session = signIn.cookies.find((c) => c.name === 'docsync_session');
    if (!session) throw new Error(`sign-in failed: ${signIn.statusCode} ${signIn.body}`);
    const cookie = `docsync_session=${session.value}`;

    const oneDay = await timeOverview(app, cookie);
    const historyStart = performance.now();
    await seedHistory(db, now);
    const snapshots = Number(
      (
        await db
          .selectFrom('tenant_snapshots')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    console.log(`history: ${snapshots} snapshots (${HISTORY_DAYS} days) in ${((performance.now() - historyStart) / 1000).toFixed(1)} s`);
    const withHistory = await timeOverview(app, cookie);

    console.log(`\nGET /api/reports/overview at ${TENANTS} tenants on ${KIND}, ${REQUESTS} requests after one warm-up (app.inject)`);
    console.log(`  1 day of snapshots:        median ${oneDay.median.toFixed(1)} ms, p95 ${oneDay.p95.toFixed(1)} ms`);
    console.log(
      `  ${HISTORY_DAYS} days of snapshots:     median ${withHistory.median.toFixed(1)} ms, p95 ${withHistory.p95.toFixed(1)} ms`,
    );
    console.log(`  its reads (median of 5): ${await breakdown(db)}`);
    const verdict = (ok: boolean, text: string) => console.log(`${ok ? 'PASS' : 'MISS'}  ${text}`);
    verdict(
      withHistory.p95 < TARGET_MS,
      `overview report < ${TARGET_MS} ms at ${TENANTS} tenants on ${KIND} (p95 ${withHistory.p95.toFixed(1)} ms)` +
        (TENANTS < 1000 ? ` — measured at ${TENANTS}, not the 1,000 the target names` : ''),
    );
    // Noise allowance: 25 % or 5 ms, whichever is larger.
    verdict(
      withHistory.median <= Math.max(oneDay.median * 1.25, oneDay.median + 5),
      `the report does not grow with the snapshot history (median ${oneDay.median.toFixed(1)} ms with 1 day, ` +
        `${withHistory.median.toFixed(1)} ms with ${HISTORY_DAYS})`,
    );
  } finally {
    await app.close();
  }
} finally {
  await ctx?.close();
  await drop();
  server?.stop();
}
