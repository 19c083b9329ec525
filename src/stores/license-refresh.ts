// SQL for the on-demand licence refresh (issue 17): the tenant and integration it reads for, and
// its run row. The run row is inserted already 'running' with a lease, so the queue's unique index
// on a tenant's running run (src/sync/queue.ts) keeps a refresh and a sync of the same tenant
// apart: whichever starts second is told the tenant is busy.
import type { Kysely } from 'kysely';
import type { Database, Integration, Tenant } from '../db/schema.ts';
import { NotFound } from '../errors.ts';

type Db = Kysely<Database>;

const UNIQUE_VIOLATION = '23505';

export async function licenseRefreshTarget(db: Db, tenantId: string): Promise<{ tenant: Tenant; integration: Integration }> {
  const tenant = await db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
  if (!tenant) throw new NotFound('No such tenant.');
  const integration = await db.selectFrom('integrations').selectAll().where('id', '=', tenant.integration_id).executeTakeFirstOrThrow();
  return { tenant, integration };
}

/** The run row of a refresh, running under `leaseOwner`; null when a run of the tenant is running already. */
export async function startLicenseRefreshRun(
  db: Db,
  input: { integrationId: string; tenantId: string; requestedBy: string | null; leaseOwner: string; now: Date; leaseSeconds: number },
): Promise<string | null> {
  try {
    const row = await db
      .insertInto('sync_runs')
      .values({
        integration_id: input.integrationId,
        tenant_id: input.tenantId,
        trigger: 'manual',
        kind: 'license_refresh',
        requested_by: input.requestedBy,
        status: 'running',
        started_at: input.now,
        created_at: input.now,
        lease_owner: input.leaseOwner,
        lease_expires_at: new Date(input.now.getTime() + input.leaseSeconds * 1000),
        attempts: 1,
        phase: 'licenses',
        progress_total: 1,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  } catch (error) {
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return null;
    throw error;
  }
}
