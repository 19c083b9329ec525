// Helpers for the web tests: a movable clock, accounts of each role signed in, and a seeded
// world of integrations, tenants, organizations and decisions (inserted directly).
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../../src/app.ts';
import { createTechnician } from '../../../src/auth/accounts.ts';
import type { TechnicianRole } from '../../../src/db/schema.ts';
import type { DatabaseKind } from '../../../src/db/database.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';

export class TestClock {
  constructor(private current = new Date('2026-11-23T09:00:00Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const PASSWORD = 'correct horse battery staple';

export interface SignedIn {
  cookie: string;
  csrf: string;
  id: string;
}

export interface WebWorld {
  ctx: TestContext;
  app: FastifyInstance;
  clock: TestClock;
  as: Record<TechnicianRole, SignedIn>;
  close(): Promise<void>;
}

export async function startWebWorld(kind: DatabaseKind): Promise<WebWorld> {
  const clock = new TestClock();
  const ctx = await createTestContext(kind, { overrides: { clock } });
  const app = await buildApp(ctx);
  await app.ready();
  const as = {} as Record<TechnicianRole, SignedIn>;
  for (const role of ['administrator', 'technician', 'read_only'] as const) {
    const created = await createTechnician(
      { db: ctx.database.db, clock },
      { username: `${role}-user`, password: PASSWORD, role },
      { id: null, label: 'test' },
    );
    const signedIn = await signIn(app, `${role}-user`, PASSWORD);
    as[role] = { ...signedIn, id: created.id };
  }
  return {
    ctx,
    app,
    clock,
    as,
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}

export async function refreshSessions(world: WebWorld): Promise<void> {
  for (const role of ['administrator', 'technician', 'read_only'] as const) {
    world.as[role] = { ...(await signIn(world.app, `${role}-user`, PASSWORD)), id: world.as[role].id };
  }
}

let signIns = 0;
/** Signs in from a fresh documentation address (RFC 5737) each time, so the per-address sign-in limit is not what a test measures. */
export async function signIn(app: FastifyInstance, username: string, password: string): Promise<{ cookie: string; csrf: string }> {
  signIns++;
  const remoteAddress = `198.51.${Math.floor(signIns / 250) % 250}.${(signIns % 250) + 1}`;
  const response = await app.inject({ method: 'POST', url: '/api/session', remoteAddress, payload: { username, password } });
  if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
  return { cookie: sessionCookie(response), csrf: response.json().csrfToken };
}

export function sessionCookie(response: LightMyRequestResponse): string {
  const cookie = response.cookies.find((c) => c.name === 'docsync_session');
  if (!cookie) throw new Error('no session cookie');
  return `docsync_session=${cookie.value}`;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A request as a signed-in technician of the role, with the CSRF header on writes. */
export function call(
  world: WebWorld,
  role: TechnicianRole | null,
  method: Method,
  url: string,
  payload?: unknown,
  options: { csrf?: boolean } = {},
) {
  const headers: Record<string, string> = {};
  if (role) {
    headers.cookie = world.as[role].cookie;
    if (method !== 'GET' && options.csrf !== false) headers['x-csrf-token'] = world.as[role].csrf;
  }
  return world.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
}

export interface Seeded {
  integrationId: string;
  tenants: Record<string, { id: string; microsoftTenantId: string }>;
  organizations: Record<string, string>;
}

export const HOSTILE_NAMES = {
  script: '<script>alert(1)</script>',
  quotes: `"Quote's" \`back\` & <b>bold</b>`,
  rtl: 'Contoso\u202Egnp.exe\u202C Ltd',
  huge: 'A'.repeat(10_240),
};

/** One integration, four tenants (one per organization match state) and three organizations. */
export async function seedTenants(ctx: TestContext): Promise<Seeded> {
  const db = ctx.database.db;
  const integration = await db
    .insertInto('integrations')
    .values({ kind: 'gdap', name: 'Fabrikam Partners GDAP', partner_tenant_id: 'partner-tenant', client_id: 'client-id' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const organizations: Record<string, string> = {};
  for (const [key, orgName] of [
    ['northwind', 'Northwind Traders'],
    ['contoso', 'Contoso Ltd'],
    ['hostile', HOSTILE_NAMES.script],
  ] as const) {
    organizations[key] = (
      await db.insertInto('organizations').values({ name: orgName, domains: [] }).returning('id').executeTakeFirstOrThrow()
    ).id;
  }
  const tenants: Seeded['tenants'] = {};
  const specs = [
    {
      key: 'northwind',
      name: 'Northwind Traders Inc.',
      state: 'suggested',
      suggestions: [
        { organizationId: organizations.northwind!, score: 0.92 },
        { organizationId: organizations.contoso!, score: 0.31 },
      ],
    },
    { key: 'contoso', name: 'Contoso, Ltd.', state: 'matched', target: organizations.contoso, rule: 'name', suggestions: [] },
    { key: 'tailspin', name: 'Tailspin Toys', state: 'suggested', suggestions: [{ organizationId: organizations.northwind!, score: 0.4 }] },
    { key: 'fresh', name: 'Fresh Tenant', state: null, suggestions: [] },
    { key: 'script', name: HOSTILE_NAMES.script, state: 'unmatched', suggestions: [] },
    { key: 'quotes', name: HOSTILE_NAMES.quotes, state: 'unmatched', suggestions: [] },
    { key: 'rtl', name: HOSTILE_NAMES.rtl, state: 'unmatched', suggestions: [] },
    { key: 'huge', name: HOSTILE_NAMES.huge, state: 'unmatched', suggestions: [] },
  ] as const;
  let n = 0;
  for (const spec of specs) {
    n++;
    const microsoftTenantId = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const row = await db
      .insertInto('tenants')
      .values({
        integration_id: integration.id,
        microsoft_tenant_id: microsoftTenantId,
        display_name: spec.name,
        default_domain: `${spec.key}.onmicrosoft.com`,
        domains: JSON.stringify([
          { id: `${spec.key}.example`, isVerified: true },
          { id: `${spec.key}.onmicrosoft.com`, isVerified: true },
        ]) as never,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    tenants[spec.key] = { id: row.id, microsoftTenantId };
    if (spec.state) {
      await db
        .insertInto('match_decisions')
        .values({
          kind: 'organization',
          tenant_id: row.id,
          source_id: microsoftTenantId,
          state: spec.state,
          target_id: 'target' in spec ? spec.target! : null,
          rule: 'rule' in spec ? spec.rule : null,
          suggestions: JSON.stringify(spec.suggestions) as never,
        })
        .execute();
    }
  }
  return { integrationId: integration.id, tenants, organizations };
}

export interface SeededContents {
  users: { adele: string; alex: string; hostile: string };
  contacts: { adele: string; alexOne: string; alexTwo: string; other: string };
  deviceId: string;
  runId: string;
}

const E5 = '06ebc4ee-1bb5-47dd-8120-11324bc54e06';
const BUSINESS_PREMIUM = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46';

/** Users, contacts, decisions, a mailbox, a device, licenses and a sync run for the matched Contoso tenant. */
export async function seedContents(ctx: TestContext, seeded: Seeded, now: Date): Promise<SeededContents> {
  const db = ctx.database.db;
  const tenant = seeded.tenants.contoso!.id;
  const org = seeded.organizations.contoso!;
  const contact = async (first: string, last: string, email: string, organizationId = org) => {
    const row = await db
      .insertInto('contacts')
      .values({ organization_id: organizationId, first_name: first, last_name: last })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('contact_emails').values({ contact_id: row.id, email, is_primary: true }).execute();
    return row.id;
  };
  const contacts = {
    adele: await contact('Adele', 'Vance', 'adelev@contoso.example'),
    alexOne: await contact('Alex', 'Wilber', 'alex.w@contoso.example'),
    alexTwo: await contact('Alex', 'Wilber', 'awilber@contoso.example'),
    other: await contact('Someone', 'Elsewhere', 'someone@northwind.example', seeded.organizations.northwind!),
  };
  const days = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString();
  const user = async (id: string, data: Record<string, unknown>) => {
    await db
      .insertInto('ms_users')
      .values({ tenant_id: tenant, user_id: id, data: JSON.stringify({ id, ...data }) as never, content_hash: id })
      .execute();
    return id;
  };
  const users = {
    adele: await user('u-adele', {
      displayName: 'Adele Vance',
      userPrincipalName: 'AdeleV@contoso.example',
      mail: 'AdeleV@contoso.example',
      accountEnabled: true,
      lastPasswordChangeDateTime: days(40),
      signInActivity: { lastSuccessfulSignInDateTime: days(2) },
      assignedLicenses: [{ skuId: E5 }],
    }),
    alex: await user('u-alex', {
      displayName: 'Alex Wilber',
      userPrincipalName: 'AlexW@contoso.example',
      accountEnabled: false,
      signInActivity: { lastSuccessfulSignInDateTime: days(90) },
      assignedLicenses: [{ skuId: BUSINESS_PREMIUM }],
    }),
    hostile: await user('u-hostile', {
      displayName: HOSTILE_NAMES.script,
      userPrincipalName: 'evil@contoso.example',
      accountEnabled: true,
      signInActivity: { lastSuccessfulSignInDateTime: '' },
      assignedLicenses: [],
    }),
  };
  const decision = (source: string, state: string, target: string | null, rule: string | null, candidates: string[] = []) =>
    db
      .insertInto('match_decisions')
      .values({
        kind: 'contact',
        tenant_id: tenant,
        source_id: source,
        state: state as never,
        target_id: target,
        rule,
        candidates: JSON.stringify(candidates) as never,
        reason: `seeded ${state}`,
      })
      .execute();
  await decision(users.adele, 'match', contacts.adele, 'alias');
  await decision(users.alex, 'review', null, null, [contacts.alexOne, contacts.alexTwo]);
  await db
    .insertInto('ms_mailboxes')
    .values({
      tenant_id: tenant,
      user_principal_name: 'adelev@contoso.example',
      data: JSON.stringify({
        userPrincipalName: 'AdeleV@contoso.example',
        storageUsedInBytes: 5 * 1024 ** 3,
        itemCount: 1234,
        lastActivityDate: days(1).slice(0, 10),
        prohibitSendReceiveQuotaInBytes: 50 * 1024 ** 3,
        hasArchive: true,
      }) as never,
      content_hash: 'm',
    })
    .execute();
  const deviceId = 'dev-1';
  await db
    .insertInto('ms_managed_devices')
    .values({
      tenant_id: tenant,
      device_id: deviceId,
      data: JSON.stringify({
        id: deviceId,
        deviceName: 'ADELE-LAPTOP',
        serialNumber: 'SN123',
        operatingSystem: 'Windows',
        osVersion: '10.0.22631',
        complianceState: 'compliant',
        userId: users.adele,
        userPrincipalName: 'AdeleV@contoso.example',
        lastSyncDateTime: days(1),
      }) as never,
      content_hash: 'd',
    })
    .execute();
  const configuration = await db
    .insertInto('configurations')
    .values({
      organization_id: org,
      name: 'ADELE-LAPTOP',
      serial_number: 'SN123',
      intune_device_id: deviceId,
      tenant_id: tenant,
      contact_id: contacts.adele,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('match_decisions')
    .values({ kind: 'configuration', tenant_id: tenant, source_id: deviceId, state: 'match', target_id: configuration.id, rule: 'serial' })
    .execute();
  for (const [skuId, part, enabled, consumed] of [
    [E5, 'SPE_E5', 25, 14],
    [BUSINESS_PREMIUM, 'SPB', 10, 10],
    ['11111111-2222-4333-8444-555555555555', null, 3, 1],
  ] as const) {
    await db
      .insertInto('ms_subscribed_skus')
      .values({
        tenant_id: tenant,
        sku_id: skuId,
        data: JSON.stringify({
          skuId,
          skuPartNumber: part,
          consumedUnits: consumed,
          prepaidUnits: { enabled, suspended: 0, warning: 0 },
          capabilityStatus: 'Enabled',
        }) as never,
        content_hash: skuId,
      })
      .execute();
  }
  const run = await db
    .insertInto('sync_runs')
    .values({
      integration_id: seeded.integrationId,
      trigger: 'schedule',
      status: 'running',
      started_at: now,
      progress_done: 3,
      progress_total: 8,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const child = await db
    .insertInto('sync_runs')
    .values({
      integration_id: seeded.integrationId,
      tenant_id: tenant,
      parent_run_id: run.id,
      trigger: 'schedule',
      status: 'failed',
      created: 2,
      failed: 1,
      summary: 'consent missing',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('sync_log')
    .values({
      run_id: child.id,
      tenant_id: tenant,
      level: 'error',
      code: 'consent_missing',
      message: `consent missing for tenant ${HOSTILE_NAMES.script}`,
      action: 're-run admin consent',
    })
    .execute();
  return { users, contacts, deviceId, runId: run.id };
}

export interface Account extends SignedIn {
  username: string;
}

/**
 * New accounts signed in over the API, and requests made as one of them. Each request comes from
 * the next address of `network` (e.g. '203.0.113'), so the sign-in throttle, which counts per
 * address, never mixes tests. `world` is read at call time: it is started in a beforeAll.
 */
export function accountsOn(world: () => WebWorld, network: string) {
  let address = 0;
  const from = () => `${network}.${(address++ % 250) + 1}`;
  async function newAccount(username: string, role: TechnicianRole = 'technician'): Promise<Account> {
    const { ctx, clock, app } = world();
    const created = await createTechnician(
      { db: ctx.database.db, clock },
      { username, password: PASSWORD, role },
      { id: null, label: 'test' },
    );
    const response = await app.inject({
      method: 'POST',
      url: '/api/session',
      remoteAddress: from(),
      payload: { username, password: PASSWORD },
    });
    if (response.statusCode !== 200) throw new Error(`sign-in of ${username} answered ${response.statusCode}: ${response.body}`);
    return { id: created.id, username, cookie: sessionCookie(response), csrf: response.json().csrfToken };
  }
  const as = (account: Pick<Account, 'cookie' | 'csrf'>, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    world().app.inject({
      method,
      url,
      remoteAddress: from(),
      headers: { cookie: account.cookie, ...(method === 'GET' ? {} : { 'x-csrf-token': account.csrf }) },
      ...(payload ? { payload } : {}),
    });
  return { from, newAccount, as };
}
