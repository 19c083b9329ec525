// Page load times at the size issue 8 names ("works at 1,000 tenants / 100k contacts"), on the
// embedded PGlite and on a throwaway Postgres server (or DATABASE_URL's server).
// Seeds, per database: 1,000 tenants of one GDAP integration with their organization decisions
// (matched, suggested, unmatched, ignored), one of them holding 100,000 users, 100,000 contacts
// and 100,000 contact decisions (with mailboxes and devices for the overlay), and two days of
// hourly integration runs with a run and two log lines per tenant each. All bulk inserts are
// generate_series SQL. Then builds the app, signs in through the API, and times in-process
// requests (app.inject): one warm-up, then WEB_BENCH_REQUESTS (10) each; median and p95.
// Size: WEB_BENCH_TENANTS (1000), WEB_BENCH_USERS (100000), WEB_BENCH_RUNS (48 integration runs);
// databases: WEB_BENCH_DB=pglite,postgres (default both). Try it small first: WEB_BENCH_TENANTS=100 WEB_BENCH_USERS=10000.
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
import { startPostgres, type PostgresServer } from '../support/postgres-server.ts';
import { encodeCursor } from '../../src/stores/keyset.ts';

const env = process.env;
const TENANTS = Number(env.WEB_BENCH_TENANTS ?? 1000);
const USERS = Number(env.WEB_BENCH_USERS ?? 100_000);
const INTEGRATION_RUNS = Number(env.WEB_BENCH_RUNS ?? 48);
const REQUESTS = Number(env.WEB_BENCH_REQUESTS ?? 10);
const KINDS = (env.WEB_BENCH_DB ?? 'pglite,postgres').split(',').map((k) => k.trim()) as Array<'pglite' | 'postgres'>;
const DEADLINE_MINUTES = Number(env.WEB_BENCH_DEADLINE_MINUTES ?? 20);
const PASSWORD = 'bench-password-for-pages-42';

// Bounded: a stuck seed or request ends the benchmark instead of hanging the bench run.
const deadline = setTimeout(() => {
  console.error(`web-pages bench: past the ${DEADLINE_MINUTES}-minute deadline; stopping`);
  server?.stop();
  process.exit(1);
}, DEADLINE_MINUTES * 60_000);
deadline.unref();

let server: PostgresServer | undefined;

interface Timing {
  page: string;
  url: string;
  medianMs: number;
  p95Ms: number;
  bytes: number;
}

interface DatabaseResult {
  search?: Timing[];
  kind: string;
  seedSeconds: number;
  rows: Record<string, number>;
  timings: Timing[];
}

type Db = Kysely<Database>;

/** Seeds the data set; returns the ids the timed URLs need. */
async function seed(db: Db): Promise<{ bigTenantId: string; organizationId: string; userId: string; latestRunId: string }> {
  const integration = await db
    .insertInto('integrations')
    .values({
      kind: 'gdap',
      name: 'Bench partner',
      partner_tenant_id: 'bench-partner.onmicrosoft.com',
      client_id: randomBytes(16).toString('hex'),
      status: 'connected',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const integrationId = integration.id;

  // Tenants: customer<i>.example; a few failing or with a warning, as after real syncs.
  await sql`
    insert into tenants (integration_id, microsoft_tenant_id, display_name, default_domain, domains, relationship_status, health,
      health_reason, last_sync_at)
    select ${integrationId}::uuid, md5('tenant' || i)::uuid::text,
           (array['Contoso', 'Fabrikam', 'Northwind', 'Tailspin', 'Woodgrove', 'Litware', 'Adatum', 'Proseware'])[1 + i % 8] || ' ' ||
             lpad(i::text, 4, '0') || (array[' Ltd', ' GmbH', ' Inc.', ' BV', ''])[1 + i % 5],
           'customer' || i || '.example', jsonb_build_array('customer' || i || '.example', 'customer' || i || '.onmicrosoft.com'), 'active',
           case when i % 50 = 0 then 'failing' when i % 20 = 0 then 'warning' else 'ok' end,
           case when i % 50 = 0 then 'the docsync app is not consented in this tenant' when i % 20 = 0
             then 'not synced last time: mailboxes' end,
           now() - make_interval(mins => i % 60)
    from generate_series(1, ${TENANTS}::int) i`.execute(db);

  // Organizations: one per customer plus half as many the MSP documents without a tenant.
  await sql`
    insert into organizations (name, domains)
    select case when i <= ${TENANTS}::int then 'Customer ' || lpad(i::text, 4, '0') else 'Other client ' || i end,
           case when i <= ${TENANTS}::int then array['customer' || i || '.example'] else array[]::text[] end
    from generate_series(1, ${Math.round(TENANTS * 1.5)}::int) i`.execute(db);

  // Organization decisions: 1 in 10 suggested, 1 in 10 unmatched, 1 in 25 ignored, the rest matched.
  await sql`
    insert into match_decisions (kind, tenant_id, source_id, state, target_id, rule, suggestions)
    select 'organization', t.id, t.microsoft_tenant_id,
           case when n % 10 = 0 then 'suggested' when n % 10 = 1 then 'unmatched' when n % 25 = 2 then 'ignored' else 'matched' end,
           case when n % 10 not in (0, 1) and n % 25 <> 2 then o.id end,
           case when n % 10 not in (0, 1) and n % 25 <> 2 then (case when n % 3 = 0 then 'domain' else 'name' end) end,
           case when n % 10 = 0 then jsonb_build_array(jsonb_build_object('organizationId', o.id, 'score', 0.82),
             jsonb_build_object('organizationId', other.id, 'score', 0.61))
                when n % 10 not in (0, 1) and n % 25 <> 2 then jsonb_build_array(jsonb_build_object('organizationId', o.id, 'score', 1))
                else '[]'::jsonb end
    from (select id, microsoft_tenant_id, substring(default_domain from 'customer([0-9]+)')::int as n from tenants where integration_id =
      ${integrationId}) t
    join organizations o on o.domains[1] = 'customer' || t.n || '.example'
    join organizations other on other.name = 'Other client ' || (${TENANTS}::int + 1 + t.n %
      ${Math.max(1, Math.round(TENANTS * 0.5))}::int)`.execute(db);

  // The big tenant: customer1 (matched to organization "Customer 0001").
  const big = await db.selectFrom('tenants').select('id').where('default_domain', '=', 'customer1.example').executeTakeFirstOrThrow();
  const org = await db.selectFrom('organizations').select('id').where('name', '=', 'Customer 0001').executeTakeFirstOrThrow();
  await sql`
    insert into ms_users (tenant_id, user_id, data, content_hash)
    select ${big.id}::uuid, md5('user' || i)::uuid::text,
           jsonb_build_object(
             'id', md5('user' || i)::uuid::text,
             'employeeId', i::text,
             'givenName', (array['Adele', 'Alex', 'Allan', 'Debra', 'Diego', 'Grady', 'Henrietta', 'Isaiah', 'Johanna', 'Joni', 'Lee',
               'Lidia', 'Lynne', 'Megan', 'Miriam', 'Nestor', 'Patti', 'Pradeep', 'Raul', 'Zrinka'])[1 + i % 20],
             'surname', (array['Vance', 'Wilber', 'Deyoung', 'Berg', 'Siciliani', 'Archie', 'Mueller', 'Lopez', 'Lauer', 'Sherman', 'Gu',
               'Holloway', 'Robbins', 'Bowen', 'Graham', 'Kowalski', 'Fernandez', 'Gupta', 'Ortiz', 'Pintar'])[1 + (i / 20) % 20] || ' '
                 || i,
             'displayName', (array['Adele', 'Alex', 'Allan', 'Debra', 'Diego', 'Grady', 'Henrietta', 'Isaiah', 'Johanna', 'Joni', 'Lee',
               'Lidia', 'Lynne', 'Megan', 'Miriam', 'Nestor', 'Patti', 'Pradeep', 'Raul', 'Zrinka'])[1 + i % 20] || ' ' ||
                            (array['Vance', 'Wilber', 'Deyoung', 'Berg', 'Siciliani', 'Archie', 'Mueller', 'Lopez', 'Lauer', 'Sherman',
                              'Gu', 'Holloway', 'Robbins', 'Bowen', 'Graham', 'Kowalski', 'Fernandez', 'Gupta', 'Ortiz', 'Pintar'])[1 + (i
                                / 20) % 20] || ' ' || i,
             'userPrincipalName', 'user' || i || '@customer1.example',
             'mail', 'user' || i || '@customer1.example',
             'proxyAddresses', jsonb_build_array('SMTP:user' || i || '@customer1.example', 'smtp:user' || i ||
               '@customer1.onmicrosoft.com'),
             'jobTitle', (array['Sales', 'Engineer', 'Accountant', 'Manager', 'Support'])[1 + i % 5],
             'userType', 'Member',
             'accountEnabled', i % 40 <> 0,
             'createdDateTime', '2023-03-01T09:00:00Z',
             'lastPasswordChangeDateTime', '2025-10-01T08:00:00Z',
             'signInActivity', jsonb_build_object('lastSuccessfulSignInDateTime', to_char(now() - make_interval(days => i % 90),
               'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
             'assignedLicenses', case when i % 7 = 0 then '[]'::jsonb else jsonb_build_array(jsonb_build_object('skuId',
               'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46')) end),
           md5('hash' || i)
    from generate_series(1, ${USERS}::int) i`.execute(db);
  await sql`
    insert into ms_mailboxes (tenant_id, user_principal_name, data, content_hash)
    select ${big.id}::uuid, 'user' || i || '@customer1.example',
           jsonb_build_object('userPrincipalName', 'user' || i || '@customer1.example', 'storageUsedInBytes', (i * 7919) % 50000000000,
             'itemCount', i % 20000,
                              'prohibitSendReceiveQuotaInBytes', 53687091200, 'lastActivityDate', '2026-11-20', 'hasArchive', i % 9 = 0),
           md5('mbx' || i)
    from generate_series(1, ${USERS}::int) i where i % 7 <> 0`.execute(db);
  // About one device per three users (the sync bench's 300k devices for 1,000 × 1,000 users).
  await sql`
    insert into ms_managed_devices (tenant_id, device_id, data, content_hash)
    select ${big.id}::uuid, md5('device' || i)::uuid::text,
           jsonb_build_object('id', md5('device' || i)::uuid::text, 'deviceName', 'CUST1-LT-' || lpad(i::text, 6, '0'), 'serialNumber',
             'SN' || i, 'manufacturer', 'LENOVO', 'model', 'ThinkPad T14',
                              'operatingSystem', 'Windows', 'osVersion', '10.0.22631.4460', 'complianceState', 'compliant',
                                'managedDeviceOwnerType', 'company',
                              'userId', md5('user' || (i * 3))::uuid::text, 'lastSyncDateTime', '2026-11-22T07:00:00Z'),
           md5('dev' || i)
    from generate_series(1, ${Math.floor(USERS / 3)}::int) i`.execute(db);

  // Contacts: one linked contact per user, except excluded users (1 in 50) and reviews (1 in 20:
  // two unlinked contacts with the user's name, the review's candidates).
  await sql`
    insert into contacts (organization_id, first_name, last_name, title, microsoft_user_id, tenant_id, microsoft_overlay)
    select ${org.id}::uuid, u.data->>'givenName', u.data->>'surname', u.data->>'jobTitle', u.user_id, ${big.id}::uuid,
           jsonb_build_object('accountEnabled', (u.data->>'accountEnabled')::boolean, 'signInActivityAvailable', true, 'lastSignInAt',
             u.data->'signInActivity'->>'lastSuccessfulSignInDateTime', 'inactive', false)
    from ms_users u
    where u.tenant_id = ${big.id} and (u.data->>'employeeId')::int % 20 <> 0 and (u.data->>'employeeId')::int % 50 <> 7`.execute(db);
  await sql`
    insert into contacts (organization_id, first_name, last_name, title)
    select ${org.id}::uuid, u.data->>'givenName', u.data->>'surname', 'bench-review ' || u.user_id
    from ms_users u cross join generate_series(1, 2)
    where u.tenant_id = ${big.id} and (u.data->>'employeeId')::int % 20 = 0`.execute(db);
  await sql`
    insert into contact_emails (contact_id, email, is_primary)
    select c.id, u.data->>'mail', true
    from contacts c join ms_users u on u.tenant_id = c.tenant_id and u.user_id = c.microsoft_user_id
    where c.tenant_id = ${big.id}`.execute(db);
  await sql`
    insert into match_decisions (kind, tenant_id, source_id, state, target_id, rule, candidates, reason)
    select 'contact', ${big.id}::uuid, u.user_id,
           case when c.id is not null then 'match' when (u.data->>'employeeId')::int % 20 = 0 then 'review' else 'excluded' end,
           c.id,
           case when c.id is not null then 'alias' when (u.data->>'employeeId')::int % 20 = 0 then 'name' end,
           coalesce(r.candidates, '[]'::jsonb),
           case when c.id is null and (u.data->>'employeeId')::int % 20 <> 0 then 'Member of a group this integration excludes.' end
    from ms_users u
    left join contacts c on c.tenant_id = u.tenant_id and c.microsoft_user_id = u.user_id
    left join (select substring(title from 14) as user_id, jsonb_agg(id::text) as candidates from contacts where organization_id =
      ${org.id} and title like 'bench-review %' group by 1) r on r.user_id = u.user_id
    where u.tenant_id = ${big.id}`.execute(db);
  await sql`update contacts set title = null where organization_id = ${org.id} and title like 'bench-review %'`.execute(db);
  await sql`
    insert into ms_subscribed_skus (tenant_id, sku_id, data, content_hash)
    values (${big.id}::uuid, 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46',
      ${JSON.stringify({
        skuId: 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46',
        skuPartNumber: 'SPB',
        capabilityStatus: 'Enabled',
        consumedUnits: Math.round(USERS * 0.86),
        prepaidUnits: { enabled: USERS, suspended: 0, warning: 0 },
      })}::jsonb, 'sku')`.execute(db);

  // Hourly integration runs over the last two days, each with a run and two log lines per tenant.
  await sql`
    insert into sync_runs (integration_id, trigger, status, started_at, finished_at, created, updated, unchanged, failed, graph_requests,
      progress_done, progress_total, summary, created_at)
    select ${integrationId}::uuid, 'schedule', 'partial', now() - make_interval(hours => h), now() - make_interval(hours => h) + interval
      '9 minutes',
           0, 12, ${USERS}::int, ${Math.floor(TENANTS / 50)}::int, ${TENANTS * 3}::int, ${TENANTS}::int, ${TENANTS}::int,
           ${`${TENANTS - Math.floor(TENANTS / 50)} of ${TENANTS} tenants synced, ${Math.floor(TENANTS / 50)} failed`},
           now() - make_interval(hours => h)
    from generate_series(1, ${INTEGRATION_RUNS}::int) h`.execute(db);
  await sql`
    insert into sync_runs (integration_id, tenant_id, parent_run_id, trigger, status, started_at, finished_at, unchanged, failed,
      graph_requests, progress_done, progress_total, summary, created_at)
    select r.integration_id, t.id, r.id, 'schedule', case when t.health = 'failing' then 'failed' else 'succeeded' end,
           r.started_at, r.started_at + interval '30 seconds', 100, case when t.health = 'failing' then 1 else 0 end, 3, 6, 6,
             '100 users, 30 devices, 100 mailboxes, 3 licenses', r.created_at
    from sync_runs r cross join tenants t
    where r.parent_run_id is null and r.tenant_id is null and t.integration_id = ${integrationId}`.execute(db);
  await sql`
    insert into sync_log (run_id, tenant_id, level, code, message, action, created_at)
    select r.id, r.tenant_id, 'info', 'tenant_synced', t.display_name ||
      ': 0 created, 0 updated, 100 unchanged (nothing changed since the last sync)', null, r.finished_at
    from sync_runs r join tenants t on t.id = r.tenant_id
    union all
    select r.id, r.tenant_id, case when r.status = 'failed' then 'error' else 'info' end, case when r.status = 'failed' then
      'consent_missing' else 'reviews_waiting' end,
           case when r.status = 'failed' then t.display_name || ': the docsync app is not consented in this tenant' else '3 match(es) in '
             || t.display_name || ' need a technician''s review' end,
           case when r.status = 'failed' then 'open the admin consent link for the tenant' 
             else 'open the tenant''s contacts and configurations and resolve the reviews' end, r.finished_at
    from sync_runs r join tenants t on t.id = r.tenant_id`.execute(db);
  await sql`analyze`.execute(db);

  const latest = await db
    .selectFrom('sync_runs')
    .select('id')
    .where('tenant_id', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  // A user with a mailbox, devices and a matched contact: the overlay has everything to show.
  const userId = (await sql<{ user_id: string }>`select md5('user' || 3)::uuid::text as user_id`.execute(db)).rows[0]!.user_id;
  // Report figures for every tenant (what a sync keeps, src/reports/snapshots.ts) and two prices,
  // so the cross-customer overview prices waste at full size.
  const sku = (id: string, n: string) =>
    `jsonb_build_object('skuId', '${id}', 'partNumber', 'X', 'name', 'X', 'free', false, 'capabilityStatus', 'Enabled', ` +
    `'prepaid', jsonb_build_object('enabled', ${n} + 5, 'warning', 0, 'suspended', 0, 'lockedOut', 0), 'consumed', ${n}, ` +
    `'unusedPaidSeats', 5, 'disabledHolders', n % 3, 'inactiveHolders', n % 4, 'wasteSeats', 5 + n % 3 + n % 4)`;
  await sql`
    insert into tenant_report_figures (tenant_id, figures, content_hash, computed_at)
    select t.id, jsonb_build_object('users', 20 + n % 50, 'enabledUsers', 18 + n % 50, 'licensedUsers', 15 + n % 40,
      'inactiveUsers', n % 7, 'unusedPaidSeats', 10, 'wasteSeats', 10 + 2 * (n % 3) + 2 * (n % 4),
      'skus', jsonb_build_array(${sql.raw(sku('05e9a617-0261-4cee-bb44-138d3ef5d965', '(10 + n % 30)'))},
        ${sql.raw(sku('cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', '(5 + n % 10)'))})),
      md5(t.id::text), now()
    from (select id, substring(default_domain from 'customer([0-9]+)')::int as n from tenants) t`.execute(db);
  await sql`insert into license_prices (integration_id, sku_id, monthly_price_minor, currency) values
    (null, '05e9a617-0261-4cee-bb44-138d3ef5d965', 3600, 'EUR'), (null, 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', 2200, 'EUR')`.execute(db);
  return { bigTenantId: big.id, organizationId: org.id, userId, latestRunId: latest.id };
}

async function countRows(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'tenants',
    'organizations',
    'match_decisions',
    'ms_users',
    'contacts',
    'contact_emails',
    'ms_mailboxes',
    'ms_managed_devices',
    'sync_runs',
    'sync_log',
  ] as const) {
    counts[table] = Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]!.n);
  }
  return counts;
}

async function openBenchContext(kind: 'pglite' | 'postgres'): Promise<{ ctx: AppContext; drop: () => Promise<void> }> {
  let url: string | null = null;
  let drop = async () => {};
  if (kind === 'postgres') {
    const adminUrl = env.DATABASE_URL ?? (server ??= await startPostgres()).url;
    const pg = await import('pg');
    const name = `docsync_web_bench_${randomBytes(4).toString('hex')}`;
    const admin = async (statement: string) => {
      const client = new pg.default.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    };
    await admin(`create database ${name}`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = () => admin(`drop database if exists ${name} with (force)`);
  }
  const config = loadConfig({
    env: { DOCSYNC_ENV: 'test' },
    overrides: { database: { url, dataDir: 'memory://' }, secrets: { encryptionKey: randomBytes(32).toString('base64') } },
  });
  const ctx = await createContext(config, { log: pino({ level: 'silent' }) });
  return { ctx, drop };
}

const median = (sorted: number[]) =>
  sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
/** Nearest rank: of 10 samples, p95 is the slowest. */
const p95 = (sorted: number[]) => sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;

async function benchDatabase(kind: 'pglite' | 'postgres'): Promise<DatabaseResult> {
  const { ctx, drop } = await openBenchContext(kind);
  try {
    await migrateToLatest(ctx.database.db);
    const seedStart = performance.now();
    const ids = await seed(ctx.database.db);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const rows = await countRows(ctx.database.db);

    await createTechnician(
      { db: ctx.database.db, clock: systemClock },
      { username: 'bench-technician', password: PASSWORD, role: 'technician' },
      { id: null, label: 'web-pages bench' },
    );
    const app = await buildApp(ctx);
    await app.ready();
    try {
      const signIn = await app.inject({
        method: 'POST',
        url: '/api/session',
        payload: { username: 'bench-technician', password: PASSWORD },
      });
      if (signIn.statusCode !== 200) throw new Error(`sign-in failed: ${signIn.statusCode} ${signIn.body}`);
      const session = signIn.cookies.find((c) => c.name === 'docsync_session');
      if (!session) throw new Error('sign-in set no session cookie');
      const cookie = `docsync_session=${session.value}`;

      const deepPage = Math.max(1, Math.floor((USERS * 0.75) / 50));
      // The same deep page by cursor (issue 18: keyset paging): the cursor the page before it hands out.
      const deepCursor = await cursorBeforePage(ctx.database.db, ids.bigTenantId, deepPage, 50);
      const bigUsers = `/tenants/${ids.bigTenantId}/contacts`;
      const pages: Array<[string, string, string]> = [
        ['Tenants ↔ organizations, page 1 (50 a page)', '/tenants', 'Customer'],
        ['API tenants, 200 per page', '/api/tenants?pageSize=200', '"items"'],
        ['Contacts, page 1 (50 a page)', `/tenants/${ids.bigTenantId}/contacts`, '@customer1.example'],
        [`Contacts, page ${deepPage} (offset)`, `${bigUsers}?page=${deepPage}`, '@customer1.example'],
        [`Contacts, page ${deepPage} (cursor)`, `${bigUsers}?page=${deepPage}&cursor=${deepCursor}`, '@customer1.example'],
        ['API users, page 1', `/api/tenants/${ids.bigTenantId}/users?sort=name`, '"nextCursor"'],
        [`API users, page ${deepPage} (offset)`, `/api/tenants/${ids.bigTenantId}/users?sort=name&page=${deepPage}`, '"nextCursor"'],
        [`API users, page ${deepPage} (cursor)`, `/api/tenants/${ids.bigTenantId}/users?sort=name&cursor=${deepCursor}`, '"nextCursor"'],
        ['Contact overlay', `/tenants/${ids.bigTenantId}/users/${ids.userId}`, 'user3@customer1.example'],
        ['Sync runs', '/sync-runs', 'tenants synced'],
        ['Home: needs attention', '/', 'Needs attention'],
        ['API attention', '/api/attention', '"counts"'],
        ['Organizations, sorted by contacts', '/organizations?sort=-contacts', 'Customer 0001'],
        ['Organization overview (big one)', `/organizations/${ids.organizationId}`, 'Review queue'],
        ['Organization contacts, page 1', `/organizations/${ids.organizationId}/contacts`, 'Adele'],
        ['API search: a name', '/api/search?q=Henrietta%20Mueller&limit=20', '"contact"'],
        ['API search: an email prefix', '/api/search?q=user4242%40cust&limit=20', '"contact"'],
        ['API search: a typo', '/api/search?q=Sicilani&limit=20', '"results"'],
        ['API search: a domain', '/api/search?q=customer77.example&limit=20', '"tenant"'],
        [`Sync run detail (${TENANTS} tenant runs)`, `/sync-runs/${ids.latestRunId}`, 'tenant_synced'],
        [`API reports overview (${TENANTS} tenants)`, '/api/reports/overview', '"monthlyWaste"'],
        ['Reports: every customer', '/reports?sort=-unusedPaidSeats', 'Monthly waste'],
      ];
      const timings: Timing[] = [];
      for (const [page, url, expected] of pages) {
        const once = async () => {
          const start = performance.now();
          const response = await app.inject({ method: 'GET', url, headers: { cookie } });
          const ms = performance.now() - start;
          if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 300)}`);
          if (!response.body.includes(expected)) throw new Error(`${url}: the response does not contain ${JSON.stringify(expected)}`);
          return { ms, bytes: response.body.length };
        };
        await once(); // warm-up: first-use costs (plans, caches) are not what a technician waits for every time
        const samples: number[] = [];
        let bytes = 0;
        for (let i = 0; i < REQUESTS; i++) {
          const r = await once();
          samples.push(r.ms);
          bytes = r.bytes;
        }
        samples.sort((a, b) => a - b);
        timings.push({ page, url, medianMs: median(samples), p95Ms: p95(samples), bytes });
      }
      const search = await searchVerdicts(app, cookie);
      timings.push(...(await runListDepthTimings(ctx.database.db, app, cookie)));
      return { kind, seedSeconds, rows, timings, search };
    } finally {
      await app.close();
    }
  } finally {
    await ctx.close();
    await drop();
  }
}

/** The cursor nextCursor would give on the page before `page` (default sort: name, ascending). */
async function cursorBeforePage(db: Db, tenantId: string, page: number, pageSize: number): Promise<string> {
  const row = (
    await sql<{ key: string; user_id: string }>`
      select lower(coalesce(data->>'displayName', data->>'userPrincipalName', '')) as key, user_id from ms_users
      where tenant_id = ${tenantId}::uuid
      order by lower(coalesce(data->>'displayName', data->>'userPrincipalName', '')), user_id
      offset ${Math.max(0, (page - 1) * pageSize - 1)} limit 1`.execute(db)
  ).rows[0];
  if (!row) throw new Error(`the big tenant has no page ${page}`);
  return encodeCursor('name', 'asc', { key: row.key, id: row.user_id, direction: 'after' });
}

/** Keyset paging's promise (issue 18): the deep page by cursor costs what page 1 costs; offset's cost grows with the page. */
function printDeepPageRatios(results: DatabaseResult[]): void {
  for (const r of results) {
    const median = (prefix: string) => r.timings.find((t) => t.page.startsWith(prefix))?.medianMs;
    const first = median('API users, page 1');
    const byOffset = r.timings.find((t) => t.page.startsWith('API users, page') && t.page.endsWith('(offset)'));
    const byCursor = r.timings.find((t) => t.page.startsWith('API users, page') && t.page.endsWith('(cursor)'));
    if (!first || !byOffset || !byCursor) continue;
    console.log(
      `  ${r.kind}: ${byCursor.page.replace(/^API users, /, '')} ${byCursor.medianMs.toFixed(1)} ms = ` +
        `${(byCursor.medianMs / first).toFixed(2)} × page 1 (${first.toFixed(1)} ms); by offset ${byOffset.medianMs.toFixed(1)} ms = ` +
        `${(byOffset.medianMs / first).toFixed(2)} × page 1`,
    );
  }
}

// Search, per query kind, against issue 15's target ("< 100 ms at 1,000 tenants / 1M contacts on
// Postgres"): WEB_BENCH_SEARCH_REQUESTS (20) requests each after one warm-up; median, p95 and a
// verdict on the p95. The target's size is WEB_BENCH_USERS=1000000; say which size a figure is at.
const SEARCH_TARGET_MS = 100;
const SEARCH_REQUESTS = Number(env.WEB_BENCH_SEARCH_REQUESTS ?? 20);

async function searchVerdicts(app: Awaited<ReturnType<typeof buildApp>>, cookie: string): Promise<Timing[]> {
  const kinds: Array<[string, string]> = [
    ['a full name', 'Henrietta Mueller'],
    ['a first name shared by many', 'Adele'],
    ['an email prefix', 'user4242@cust'],
    ['a domain (tenant)', `customer${Math.min(TENANTS, 77)}.example`],
    ['a domain nothing has', 'customer99999.example'],
    ["the big tenant's domain", 'customer1.example'],
    ['a typo', 'Sicilani'],
    ['an organization name', 'Customer 0042'],
    ['no match', 'zzqxj'],
  ];
  const timings: Timing[] = [];
  for (const [kind, q] of kinds) {
    const url = `/api/search?q=${encodeURIComponent(q)}&limit=20`;
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i <= SEARCH_REQUESTS; i++) {
      const start = performance.now();
      const response = await app.inject({ method: 'GET', url, headers: { cookie } });
      const ms = performance.now() - start;
      if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 300)}`);
      bytes = response.body.length;
      if (i > 0) samples.push(ms); // the first is the warm-up
    }
    samples.sort((a, b) => a - b);
    timings.push({ page: `search: ${kind} (${q})`, url, medianMs: median(samples), p95Ms: p95(samples), bytes });
  }
  return timings;
}

function printSearchVerdicts(results: DatabaseResult[]): void {
  console.log(
    `\nsearch at ${TENANTS} tenants / ${USERS} contacts in the big tenant; ${SEARCH_REQUESTS} requests each; ` +
      `target p95 < ${SEARCH_TARGET_MS} ms ` +
      '(issue 15 names 1,000 tenants / 1M contacts on Postgres)',
  );
  for (const r of results) {
    for (const t of r.search ?? []) {
      const verdict = t.p95Ms < SEARCH_TARGET_MS ? 'PASS' : 'MISS';
      console.log(
        `  ${r.kind.padEnd(8)} ${t.page.padEnd(58)} median ${t.medianMs.toFixed(1).padStart(7)} ms  ` +
          `p95 ${t.p95Ms.toFixed(1).padStart(7)} ms  ${verdict}`,
      );
    }
  }
}

// Run list, page 1 vs a deep page (issue 18: "page 1,500 costs what page 1 costs"). Its own seed
// of WEB_BENCH_LIST_RUNS single-tenant "sync now" runs (75,000: 1,500 pages of 50), added after
// the timings above so they see the same data as before. The deep page is reached the way a
// technician's "Older →" link reaches it (the cursor of the page before) and, for comparison, by
// the old page number (offset).
const LIST_RUNS = Number(env.WEB_BENCH_LIST_RUNS ?? 75_000);

async function runListDepthTimings(db: Db, app: Awaited<ReturnType<typeof buildApp>>, cookie: string): Promise<Timing[]> {
  await sql`
    with t as (select id, integration_id, (row_number() over (order by id) - 1)::int as n from tenants)
    insert into sync_runs (integration_id, tenant_id, trigger, requested_by, status, started_at, finished_at, unchanged, summary,
      created_at)
    select t.integration_id, t.id, 'manual', 'bench', 'succeeded', now() - make_interval(secs => 60 * i + 60),
           now() - make_interval(secs => 60 * i), 100, '100 unchanged', now() - make_interval(secs => 60 * i + 60)
    from generate_series(1, ${LIST_RUNS}::int) i join t on t.n = i % (select count(*) from tenants)::int`.execute(db);
  await sql`analyze sync_runs`.execute(db);
  const deepPage = Math.max(2, Math.floor(LIST_RUNS / 50));
  const cursor = (
    await sql<{ id: string }>`
      select id from sync_runs where parent_run_id is null order by created_at desc, id desc
      offset ${(deepPage - 1) * 50 - 1} limit 1`.execute(db)
  ).rows[0]!.id;
  const pages: Array<[string, string]> = [
    ['Run list, page 1', '/sync-runs'],
    [`Run list, page ${deepPage} (Older → cursor)`, `/sync-runs?after=${cursor}`],
    [`Run list, page ${deepPage} (?page=, offset)`, `/sync-runs?page=${deepPage}`],
    ['API run list, page 1', '/api/sync-runs'],
    [`API run list, page ${deepPage} (nextLink)`, `/api/sync-runs?after=${cursor}`],
  ];
  const timings: Timing[] = [];
  for (const [page, url] of pages) {
    const once = async () => {
      const start = performance.now();
      const response = await app.inject({ method: 'GET', url, headers: { cookie } });
      const ms = performance.now() - start;
      if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 300)}`);
      return { ms, bytes: response.body.length };
    };
    await once();
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const r = await once();
      samples.push(r.ms);
      bytes = r.bytes;
    }
    samples.sort((a, b) => a - b);
    timings.push({ page, url, medianMs: median(samples), p95Ms: p95(samples), bytes });
  }
  return timings;
}

function printResults(results: DatabaseResult[]): void {
  const first = results[0];
  if (!first) return;
  console.log(
    `\nweb pages at ${TENANTS} tenants, one with ${USERS} users; ${REQUESTS} requests per page after one warm-up (in-process app.inject; ` +
      `p95 = nearest rank)`,
  );
  for (const r of results) {
    console.log(
      `  ${r.kind}: seeded in ${r.seedSeconds.toFixed(1)} s — ${Object.entries(r.rows)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}`,
    );
  }
  const header = [
    'page'.padEnd(34),
    ...results.flatMap((r) => [`${r.kind} median`.padStart(16), `${r.kind} p95`.padStart(13)]),
    'KB'.padStart(6),
  ];
  console.log(`\n${header.join(' ')}`);
  for (const [i, t] of first.timings.entries()) {
    const cells = results.flatMap((r) => {
      const x = r.timings[i]!;
      return [`${x.medianMs.toFixed(1)} ms`.padStart(16), `${x.p95Ms.toFixed(1)} ms`.padStart(13)];
    });
    console.log([t.page.padEnd(34), ...cells, (t.bytes / 1024).toFixed(0).padStart(6)].join(' '));
  }
}

const results: DatabaseResult[] = [];
try {
  for (const kind of KINDS) {
    console.log(`seeding ${kind}…`);
    results.push(await benchDatabase(kind));
  }
  printResults(results);
  console.log("\ndeep pages of the big tenant's users (median):");
  printDeepPageRatios(results);
  printSearchVerdicts(results);
} finally {
  server?.stop();
  clearTimeout(deadline);
}
