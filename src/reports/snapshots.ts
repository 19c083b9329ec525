// A tenant's report figures after each sync, and its daily snapshot (issue 17). The figures row
// is rewritten only when the figures changed, and the snapshot is taken at most once per UTC day,
// so an hourly no-change re-sync writes nothing but the day's first snapshot. Snapshots older
// than SNAPSHOT_RETENTION_DAYS are pruned when the next one is taken.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { DAY_MS } from '../time.ts';
import { contentHash } from '../stores/staging.ts';
import { loadTenantActivityData } from '../stores/activity.ts';
import { allPrices, subscribedSkusOf } from '../stores/licenses.ts';
import { hasSnapshotOn, insertSnapshot, pruneSnapshots, saveFigures, storedFiguresHash } from '../stores/snapshots.ts';
import { mfaCoverageByTenant } from './mfa.ts';
import { inactivityOfTenantUsers } from './inactivity.ts';
import { effectivePrices, moneyOf, tenantFigures, type TenantFigures } from './licenses.ts';

export const SNAPSHOT_RETENTION_DAYS = 400;

const dayOf = (at: Date) => at.toISOString().slice(0, 10);

export async function computeTenantFigures(
  db: Kysely<Database>,
  tenantId: string,
  now: Date,
  inactiveDays: number,
): Promise<TenantFigures> {
  const data = await loadTenantActivityData(db, tenantId);
  const inactivity = inactivityOfTenantUsers(data, now, inactiveDays);
  return tenantFigures(data.users, await subscribedSkusOf(db, tenantId), inactivity);
}

export async function recordTenantReport(
  db: Kysely<Database>,
  input: { tenantId: string; integrationId: string; now: Date; inactiveDays: number },
): Promise<{ figuresWritten: boolean; snapshotTaken: boolean }> {
  const { tenantId, now } = input;
  const figures = await computeTenantFigures(db, tenantId, now, input.inactiveDays);
  // null when MFA registration cannot be read (src/reports/mfa.ts): "not known", not 0 %. Kept with
  // the figures so the cross-customer overview reads one row per tenant, not every tenant's users.
  const mfaCoverage = (await mfaCoverageByTenant(db, [tenantId])).get(tenantId) ?? null;
  const stored = { ...figures, inactiveDays: input.inactiveDays, mfaCoverage };
  const hash = contentHash(stored);
  const figuresWritten = (await storedFiguresHash(db, tenantId)) !== hash;
  if (figuresWritten) await saveFigures(db, tenantId, stored, hash, now);
  const today = dayOf(now);
  if (await hasSnapshotOn(db, tenantId, today)) return { figuresWritten, snapshotTaken: false };
  const money = moneyOf(figures, effectivePrices(await allPrices(db), input.integrationId));
  await insertSnapshot(
    db,
    {
      tenantId: tenantId,
      takenOn: today,
      users: figures.users,
      enabledUsers: figures.enabledUsers,
      licensedUsers: figures.licensedUsers,
      inactiveUsers: figures.inactiveUsers,
      unusedPaidSeats: figures.unusedPaidSeats,
      wasteSeats: figures.wasteSeats,
      monthlyWasteMinor: money.monthlyWasteMinor,
      currency: money.currency,
      mfaCoverage,
      seats: figures.skus
        .filter((s) => !s.free)
        .map((s) => ({ skuId: s.skuId, name: s.name, enabled: s.prepaid.enabled, consumed: s.consumed })),
    },
    now,
  );
  await pruneSnapshots(db, tenantId, dayOf(new Date(now.getTime() - SNAPSHOT_RETENTION_DAYS * DAY_MS)));
  return { figuresWritten, snapshotTaken: true };
}
