// SQL for report figures and daily snapshots (issue 17): the current figures of each tenant (one
// row, rewritten only when they change) and one snapshot per tenant and day, kept 400 days.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

type Db = Kysely<Database>;

const parseJson = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

export async function storedFiguresHash(db: Db, tenantId: string): Promise<string | null> {
  const row = await db.selectFrom('tenant_report_figures').select('content_hash').where('tenant_id', '=', tenantId).executeTakeFirst();
  return row?.content_hash ?? null;
}

export async function saveFigures(db: Db, tenantId: string, figures: object, hash: string, now: Date): Promise<void> {
  await db
    .insertInto('tenant_report_figures')
    .values({ tenant_id: tenantId, figures: JSON.stringify(figures), content_hash: hash, computed_at: now })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ figures: JSON.stringify(figures), content_hash: hash, computed_at: now }))
    .execute();
}

export async function hasSnapshotOn(db: Db, tenantId: string, day: string): Promise<boolean> {
  const row = await db
    .selectFrom('tenant_snapshots')
    .select('taken_on')
    .where('tenant_id', '=', tenantId)
    .where('taken_on', '=', day)
    .executeTakeFirst();
  return row !== undefined;
}

export interface SnapshotRow {
  tenantId: string;
  takenOn: string;
  users: number;
  enabledUsers: number;
  licensedUsers: number;
  inactiveUsers: number;
  unusedPaidSeats: number;
  wasteSeats: number;
  monthlyWasteMinor: number | null;
  currency: string | null;
  mfaCoverage: number | null;
  seats: Array<Record<string, unknown>>;
}

/** One snapshot per tenant and day: a second one the same day is not written. */
export async function insertSnapshot(db: Db, s: SnapshotRow, now: Date): Promise<void> {
  await db
    .insertInto('tenant_snapshots')
    .values({
      tenant_id: s.tenantId,
      taken_on: s.takenOn,
      users: s.users,
      enabled_users: s.enabledUsers,
      licensed_users: s.licensedUsers,
      inactive_users: s.inactiveUsers,
      unused_paid_seats: s.unusedPaidSeats,
      waste_seats: s.wasteSeats,
      monthly_waste_minor: s.monthlyWasteMinor,
      currency: s.currency,
      mfa_coverage: s.mfaCoverage,
      seats: JSON.stringify(s.seats),
      taken_at: now,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'taken_on']).doNothing())
    .execute();
}

/** Deletes a tenant's snapshots older than `beforeDay`; a tenant with none that old writes nothing. */
export async function pruneSnapshots(db: Db, tenantId: string, beforeDay: string): Promise<number> {
  const result = await db
    .deleteFrom('tenant_snapshots')
    .where('tenant_id', '=', tenantId)
    .where('taken_on', '<', beforeDay)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Snapshots of the given tenants from `fromDay` on, oldest first. */
export async function snapshotSeries(db: Db, tenantRowIds: string[] | 'all', fromDay: string): Promise<SnapshotRow[]> {
  let query = db.selectFrom('tenant_snapshots').selectAll().where('taken_on', '>=', fromDay).orderBy('taken_on').orderBy('tenant_id');
  if (tenantRowIds !== 'all') {
    if (tenantRowIds.length === 0) return [];
    query = query.where('tenant_id', 'in', tenantRowIds);
  }
  const rows = await query.execute();
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    takenOn: r.taken_on,
    users: r.users,
    enabledUsers: r.enabled_users,
    licensedUsers: r.licensed_users,
    inactiveUsers: r.inactive_users,
    unusedPaidSeats: r.unused_paid_seats,
    wasteSeats: r.waste_seats,
    monthlyWasteMinor: r.monthly_waste_minor === null ? null : Number(r.monthly_waste_minor),
    currency: r.currency,
    mfaCoverage: r.mfa_coverage,
    seats: (parseJson(r.seats) ?? []) as Array<Record<string, unknown>>,
  }));
}

export interface OverviewSourceRow {
  tenantId: string;
  displayName: string;
  integrationId: string;
  organizationId: string | null;
  figures: Record<string, unknown>;
}

/** The current figures of every active tenant that has some, with its matched organization. */
export async function overviewSource(db: Db): Promise<OverviewSourceRow[]> {
  const rows = await db
    .selectFrom('tenant_report_figures as f')
    .innerJoin('tenants as t', 't.id', 'f.tenant_id')
    .leftJoin('match_decisions as d', (j) =>
      j.onRef('d.tenant_id', '=', 't.id').on('d.kind', '=', 'organization').on('d.state', '=', 'matched'),
    )
    .select(['t.id', 't.display_name', 't.integration_id', 'd.target_id', 'f.figures'])
    .where('t.active', '=', true)
    .orderBy(sql`lower(t.display_name)`)
    .orderBy('t.id')
    .execute();
  return rows.map((r) => ({
    tenantId: r.id,
    displayName: r.display_name,
    integrationId: r.integration_id,
    organizationId: r.target_id ?? null,
    figures: (parseJson(r.figures) ?? {}) as Record<string, unknown>,
  }));
}
