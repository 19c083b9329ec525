// What the sync suites start from: rows inserted straight into the database (an integration, its
// tenants, the organization a tenant matches), a runner that reads fake Microsoft data instead of
// Graph, and the emulator's partner connected through docsync's own integration store. Each
// helper sets up the one thing its name says; the tests say what they change from there.
import type { Insertable, Kysely } from 'kysely';
import type { AppContext } from '../../../src/context.ts';
import type { Database, Integration, NewIntegration, Tenant, TenantsTable } from '../../../src/db/schema.ts';
import type { RunningEmulator } from '../../../src/emulator/index.ts';
import type { SyncMicrosoft } from '../../../src/sync/microsoft-wiring.ts';
import type { RunnerDeps } from '../../../src/sync/runner.ts';
import type { TenantSource } from '../../../src/microsoft/tenant-reader.ts';

type Db = Kysely<Database>;

/** A GDAP integration row marked connected, with no secret or token: for syncs from fake sources. */
export function insertIntegration(db: Db, overrides: Partial<NewIntegration> = {}): Promise<Integration> {
  return db
    .insertInto('integrations')
    .values({ kind: 'gdap', name: 'Partner', partner_tenant_id: 'p', client_id: 'c', status: 'connected', ...overrides })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A customer tenant of the integration with a Microsoft tenant id of its own (named Contoso unless told). */
export function insertTenant(db: Db, integrationId: string, overrides: Partial<Insertable<TenantsTable>> = {}): Promise<Tenant> {
  return db
    .insertInto('tenants')
    .values({ integration_id: integrationId, microsoft_tenant_id: crypto.randomUUID(), display_name: 'Contoso', ...overrides })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Renames every organization earlier tests left and clears its domains, so none ties with this test's own. */
export async function retireOrganizations(db: Db): Promise<void> {
  await db.updateTable('organizations').set({ name: 'Retired', domains: [] }).execute();
}

/**
 * What a sync of contosoData() starts from: a connected integration, its tenant Contoso, and the
 * one organization the tenant matches by its domain contoso.com (earlier tests' are retired).
 */
export async function insertContosoTenantWithOrganization(
  db: Db,
): Promise<{ integration: Integration; tenant: Tenant; organizationId: string }> {
  const integration = await insertIntegration(db);
  const tenant = await insertTenant(db, integration.id, { display_name: 'Contoso' });
  await retireOrganizations(db);
  const organization = await db
    .insertInto('organizations')
    .values({ name: `Contoso ${tenant.id}`, domains: ['contoso.com'] })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { integration, tenant, organizationId: organization.id };
}

/**
 * The runner's dependencies with each tenant read from the fake source `sourceFor` gives (see
 * records.ts) instead of Graph; the source takes over the counters the runner hands it.
 */
export function runnerWithFakeSources(
  ctx: AppContext,
  sourceFor: (tenant: Tenant) => TenantSource,
  extra: Pick<RunnerDeps, 'onPartnerFailure'> = {},
): RunnerDeps {
  return {
    db: ctx.database.db,
    log: ctx.log,
    clock: ctx.clock,
    config: ctx.config,
    sources: ({ tenant, counters }) => {
      const source = sourceFor(tenant);
      return Object.assign(source, { counters: Object.assign(counters, source.counters) });
    },
    ...extra,
  };
}

/** Configuration that sends docsync's sign-ins and Graph requests to the emulator. */
export function emulatorAsMicrosoft(emulator: RunningEmulator): { microsoft: { authorityHost: string; graphBaseUrl: string } } {
  return { microsoft: { authorityHost: emulator.urls.authorityHost, graphBaseUrl: emulator.urls.graphBaseUrl } };
}

/**
 * The emulator's partner connected as a GDAP integration (its credentials and refresh token
 * stored by docsync's integration store) and its customer tenants discovered; returns the
 * integration's id. No organization is documented (cli-harness's connectEmulatedPartner does that too).
 */
export async function connectIntegrationToEmulator(
  microsoft: SyncMicrosoft,
  emulator: RunningEmulator,
  settings: Record<string, unknown> = {},
): Promise<string> {
  const c = emulator.credentials;
  const { id } = await microsoft.integrations.create({
    kind: 'gdap',
    name: 'Emulated partner',
    tenantId: c.partnerTenantId,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    settings,
  });
  await microsoft.integrations.storeRefreshToken(id, c.refreshToken);
  await microsoft.discovery.discover(id);
  return id;
}
