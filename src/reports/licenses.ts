// Licence figures of a tenant (issue 17): per SKU what is bought, in which state, assigned and
// wasted, and the tenant's counts of users. Microsoft's subscribedSku
// (https://learn.microsoft.com/graph/api/resources/subscribedsku): prepaidUnits.enabled are
// active units, warning units are in their grace period (still usable, still paid), suspended
// and lockedOut units are not usable; consumedUnits are assigned. So a suspended SKU shows its
// suspended units, not 0/0/0, and only enabled + warning units count as paid seats.
// Waste, in seats per SKU: unused paid seats + seats held by disabled accounts + seats held by
// inactive users (src/reports/inactivity.ts); in money when the MSP entered a price.
import { isFreeLicense, licenseDisplayName } from '../licensing/skus.ts';
import type { Inactivity } from './inactivity.ts';
import type { LicensePrice } from '../stores/licenses.ts';

export interface SkuFigures {
  skuId: string;
  partNumber: string | null;
  name: string;
  free: boolean;
  capabilityStatus: string | null;
  prepaid: { enabled: number; warning: number; suspended: number; lockedOut: number };
  consumed: number;
  /** enabled + warning − consumed, at least 0 (paid SKUs only; 0 for free ones). */
  unusedPaidSeats: number;
  disabledHolders: number;
  inactiveHolders: number;
  wasteSeats: number;
}

export interface TenantFigures {
  users: number;
  enabledUsers: number;
  licensedUsers: number;
  inactiveUsers: number;
  unusedPaidSeats: number;
  wasteSeats: number;
  skus: SkuFigures[];
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function tenantFigures(
  users: Array<{ userId: string; accountEnabled: boolean | null; skuIds: string[] }>,
  skus: Array<{ skuId: string; data: Record<string, unknown> }>,
  inactivity: Map<string, Inactivity>,
): TenantFigures {
  const holders = new Map<string, { disabled: number; inactive: number }>();
  for (const u of users) {
    const state = inactivity.get(u.userId)?.state;
    for (const skuId of new Set(u.skuIds)) {
      const h = holders.get(skuId) ?? { disabled: 0, inactive: 0 };
      if (u.accountEnabled === false) h.disabled++;
      else if (state === 'inactive') h.inactive++;
      holders.set(skuId, h);
    }
  }
  const skuFigures = skus
    .map((s): SkuFigures => {
      const prepaid = (s.data.prepaidUnits ?? {}) as Record<string, unknown>;
      const partNumber = str(s.data.skuPartNumber);
      const name = licenseDisplayName(s.skuId, partNumber);
      const free = isFreeLicense(name, partNumber);
      const units = {
        enabled: num(prepaid.enabled),
        warning: num(prepaid.warning),
        suspended: num(prepaid.suspended),
        lockedOut: num(prepaid.lockedOut),
      };
      const consumed = num(s.data.consumedUnits);
      const h = holders.get(s.skuId.toLowerCase()) ?? { disabled: 0, inactive: 0 };
      const unusedPaidSeats = free ? 0 : Math.max(0, units.enabled + units.warning - consumed);
      const disabledHolders = h.disabled;
      const inactiveHolders = h.inactive;
      return {
        skuId: s.skuId.toLowerCase(),
        partNumber,
        name,
        free,
        capabilityStatus: str(s.data.capabilityStatus),
        prepaid: units,
        consumed,
        unusedPaidSeats,
        disabledHolders,
        inactiveHolders,
        wasteSeats: free ? 0 : unusedPaidSeats + disabledHolders + inactiveHolders,
      };
    })
    .sort((a, b) => Number(a.free) - Number(b.free) || b.prepaid.enabled - a.prepaid.enabled || a.name.localeCompare(b.name));
  let inactiveUsers = 0;
  for (const u of users) if (inactivity.get(u.userId)?.state === 'inactive') inactiveUsers++;
  return {
    users: users.length,
    enabledUsers: users.filter((u) => u.accountEnabled !== false).length,
    licensedUsers: users.filter((u) => u.skuIds.length > 0).length,
    inactiveUsers,
    unusedPaidSeats: skuFigures.reduce((t, s) => t + s.unusedPaidSeats, 0),
    wasteSeats: skuFigures.reduce((t, s) => t + s.wasteSeats, 0),
    skus: skuFigures,
  };
}

/** The price of each SKU for an integration: its own override, else the global price. */
export function effectivePrices(
  prices: LicensePrice[],
  integrationId: string | null,
): Map<string, LicensePrice & { scope: 'global' | 'integration' }> {
  const result = new Map<string, LicensePrice & { scope: 'global' | 'integration' }>();
  for (const p of prices) if (p.integrationId === null) result.set(p.skuId, { ...p, scope: 'global' });
  for (const p of prices)
    if (integrationId !== null && p.integrationId === integrationId) result.set(p.skuId, { ...p, scope: 'integration' });
  return result;
}

export interface Money {
  /** Minor units (cents); null: no priced SKU, or prices in more than one currency. */
  monthlyCostMinor: number | null;
  monthlyWasteMinor: number | null;
  currency: string | null;
  /** Paid SKUs with waste or seats but no price: the money figures leave them out. */
  unpricedSkus: number;
}

export function moneyOf(figures: Pick<TenantFigures, 'skus'>, prices: Map<string, LicensePrice>): Money {
  const currencies = new Set<string>();
  let cost = 0;
  let waste = 0;
  let unpricedSkus = 0;
  let priced = 0;
  for (const s of figures.skus) {
    if (s.free) continue;
    const price = prices.get(s.skuId);
    if (!price) {
      if (s.prepaid.enabled + s.prepaid.warning > 0) unpricedSkus++;
      continue;
    }
    priced++;
    currencies.add(price.currency);
    cost += (s.prepaid.enabled + s.prepaid.warning) * price.monthlyPriceMinor;
    waste += s.wasteSeats * price.monthlyPriceMinor;
  }
  if (priced === 0 || currencies.size !== 1) return { monthlyCostMinor: null, monthlyWasteMinor: null, currency: null, unpricedSkus };
  return { monthlyCostMinor: cost, monthlyWasteMinor: waste, currency: [...currencies][0]!, unpricedSkus };
}
