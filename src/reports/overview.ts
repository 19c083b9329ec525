// The cross-customer report (issue 17): one row per active tenant from its current figures
// (src/reports/snapshots.ts keeps them after every sync), with the waste priced by the MSP's
// prices (an integration's override, else the global price). Answers "which customers are wasting
// the most" (sort by monthlyWaste or unusedPaidSeats) and "where is MFA coverage worst" (sort by
// mfaCoverage; tenants whose MFA registration cannot be read have none and go last). Reads one
// row per tenant, the price list and one MFA count per tenant: no per-user work at request time.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { allPrices } from '../stores/licenses.ts';
import { overviewSource } from '../stores/snapshots.ts';
import { effectivePrices, moneyOf, type SkuFigures } from './licenses.ts';
import { mfaCoverageByTenant } from './mfa.ts';

export interface OverviewTenant {
  tenantId: string;
  organizationId?: string;
  users: number;
  enabledUsers: number;
  licensedUsers: number;
  mfaCoverage?: number;
  inactiveUsers: number;
  unusedPaidSeats: number;
  monthlyWaste?: number;
  currency?: string;
}

export interface OverviewTotals {
  tenants: number;
  users: number;
  enabledUsers: number;
  licensedUsers: number;
  inactiveUsers: number;
  unusedPaidSeats: number;
  /** Present only when every priced tenant uses the same currency. */
  monthlyWaste?: number;
  currency?: string;
}

export const OVERVIEW_SORT_FIELDS = [
  'users',
  'enabledUsers',
  'licensedUsers',
  'mfaCoverage',
  'inactiveUsers',
  'unusedPaidSeats',
  'monthlyWaste',
  'name',
] as const;
export type OverviewSortField = (typeof OVERVIEW_SORT_FIELDS)[number];

export interface Overview {
  tenants: OverviewTenant[];
  totals: OverviewTotals;
  /** Tenant display names by tenantId, for pages and the CSV (not part of the JSON contract). */
  names: Map<string, string>;
}

const int = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** `sort`: a field, descending with a leading "-"; the default puts the biggest waste first. */
export async function overviewReport(db: Kysely<Database>, options: { sort?: string } = {}): Promise<Overview> {
  const source = await overviewSource(db);
  const prices = await allPrices(db);
  // Each sync keeps the tenant's MFA coverage with its figures (src/reports/snapshots.ts); only
  // figures written before it did are counted from the users here.
  const coverage = new Map<string, number | null>();
  for (const row of source) if ('mfaCoverage' in row.figures) coverage.set(row.tenantId, row.figures.mfaCoverage as number | null);
  const older = source.filter((row) => !coverage.has(row.tenantId)).map((row) => row.tenantId);
  if (older.length > 0) for (const [tenantId, value] of await mfaCoverageByTenant(db, older)) coverage.set(tenantId, value);
  const priceMaps = new Map<string, ReturnType<typeof effectivePrices>>();
  const names = new Map<string, string>();
  const tenants = source.map((row): OverviewTenant => {
    names.set(row.tenantId, row.displayName);
    let map = priceMaps.get(row.integrationId);
    if (!map) priceMaps.set(row.integrationId, (map = effectivePrices(prices, row.integrationId)));
    const f = row.figures;
    const money = moneyOf({ skus: (Array.isArray(f.skus) ? f.skus : []) as SkuFigures[] }, map);
    return {
      tenantId: row.tenantId,
      ...(row.organizationId ? { organizationId: row.organizationId } : {}),
      users: int(f.users),
      enabledUsers: int(f.enabledUsers),
      licensedUsers: int(f.licensedUsers),
      ...(typeof coverage.get(row.tenantId) === 'number' ? { mfaCoverage: coverage.get(row.tenantId)! } : {}),
      inactiveUsers: int(f.inactiveUsers),
      unusedPaidSeats: int(f.unusedPaidSeats),
      ...(money.monthlyWasteMinor !== null && money.currency
        ? { monthlyWaste: money.monthlyWasteMinor / 100, currency: money.currency }
        : {}),
    };
  });
  sortOverview(tenants, options.sort ?? '-monthlyWaste', names);
  const currencies = new Set(tenants.filter((t) => t.currency).map((t) => t.currency!));
  const sum = (key: 'users' | 'enabledUsers' | 'licensedUsers' | 'inactiveUsers' | 'unusedPaidSeats') =>
    tenants.reduce((total, t) => total + t[key], 0);
  const totals: OverviewTotals = {
    tenants: tenants.length,
    users: sum('users'),
    enabledUsers: sum('enabledUsers'),
    licensedUsers: sum('licensedUsers'),
    inactiveUsers: sum('inactiveUsers'),
    unusedPaidSeats: sum('unusedPaidSeats'),
    ...(currencies.size === 1
      ? {
          monthlyWaste: Math.round(tenants.reduce((total, t) => total + (t.monthlyWaste ?? 0), 0) * 100) / 100,
          currency: [...currencies][0]!,
        }
      : {}),
  };
  return { tenants, totals, names };
}

function sortOverview(rows: OverviewTenant[], sort: string, names: Map<string, string>): void {
  const descending = sort.startsWith('-');
  const field = (descending ? sort.slice(1) : sort) as OverviewSortField;
  const byName = (a: OverviewTenant, b: OverviewTenant) =>
    (names.get(a.tenantId) ?? '').localeCompare(names.get(b.tenantId) ?? '') || a.tenantId.localeCompare(b.tenantId);
  rows.sort((a, b) => {
    if (field === 'name') return (descending ? -1 : 1) * byName(a, b);
    const x = a[field];
    const y = b[field];
    // Tenants without the figure (no price, MFA not read) go last in either direction.
    if (x === undefined || y === undefined) return x === y ? byName(a, b) : x === undefined ? 1 : -1;
    return (descending ? y - x : x - y) || byName(a, b);
  });
}
