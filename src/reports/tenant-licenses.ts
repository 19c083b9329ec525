// One tenant's licence report (issue 17): per SKU bought (enabled, warning, suspended, locked
// out), assigned, unused, held by disabled and inactive users, its price and monthly cost and
// waste; and who holds a SKU, with each holder's inactivity.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { NotFound } from '../errors.ts';
import { inactiveDaysOfTenant, loadTenantActivityData } from '../stores/activity.ts';
import { allPrices, holdersOfSku, integrationOfTenant, subscribedSkusOf } from '../stores/licenses.ts';
import { inactivityOfTenantUsers, type Inactivity } from './inactivity.ts';
import { effectivePrices, moneyOf, tenantFigures, type SkuFigures, type TenantFigures } from './licenses.ts';

export interface PricedSku extends SkuFigures {
  price: { monthlyPrice: number; currency: string; scope: 'global' | 'integration' } | null;
  monthlyCost: number | null;
  monthlyWaste: number | null;
}

export interface TenantLicenseReport extends Omit<TenantFigures, 'skus'> {
  skus: PricedSku[];
  monthlyCost: number | null;
  monthlyWaste: number | null;
  currency: string | null;
  unpricedSkus: number;
  inactiveDays: number;
}

export async function tenantLicenseReport(
  db: Kysely<Database>,
  input: { tenantId: string; now: Date; defaultInactiveDays: number },
): Promise<TenantLicenseReport> {
  const integrationId = await integrationOfTenant(db, input.tenantId);
  if (!integrationId) throw new NotFound('No such tenant.');
  const inactiveDays = await inactiveDaysOfTenant(db, input.tenantId, input.defaultInactiveDays);
  const data = await loadTenantActivityData(db, input.tenantId);
  const figures = tenantFigures(
    data.users,
    await subscribedSkusOf(db, input.tenantId),
    inactivityOfTenantUsers(data, input.now, inactiveDays),
  );
  const prices = effectivePrices(await allPrices(db), integrationId);
  const money = moneyOf(figures, prices);
  const skus = figures.skus.map((s): PricedSku => {
    const p = s.free ? undefined : prices.get(s.skuId);
    return {
      ...s,
      price: p ? { monthlyPrice: p.monthlyPriceMinor / 100, currency: p.currency, scope: p.scope } : null,
      monthlyCost: p ? ((s.prepaid.enabled + s.prepaid.warning) * p.monthlyPriceMinor) / 100 : null,
      monthlyWaste: p ? (s.wasteSeats * p.monthlyPriceMinor) / 100 : null,
    };
  });
  return {
    ...figures,
    skus,
    monthlyCost: money.monthlyCostMinor === null ? null : money.monthlyCostMinor / 100,
    monthlyWaste: money.monthlyWasteMinor === null ? null : money.monthlyWasteMinor / 100,
    currency: money.currency,
    unpricedSkus: money.unpricedSkus,
    inactiveDays,
  };
}

export interface SkuHolder {
  userId: string;
  displayName: string;
  userPrincipalName: string | null;
  accountEnabled: boolean | null;
  inactivity: Inactivity | null;
}

export async function skuHolders(
  db: Kysely<Database>,
  input: { tenantId: string; skuId: string; now: Date; defaultInactiveDays: number },
): Promise<SkuHolder[]> {
  if (!(await integrationOfTenant(db, input.tenantId))) throw new NotFound('No such tenant.');
  const holders = await holdersOfSku(db, input.tenantId, input.skuId);
  const inactiveDays = await inactiveDaysOfTenant(db, input.tenantId, input.defaultInactiveDays);
  const data = await loadTenantActivityData(
    db,
    input.tenantId,
    holders.map((h) => h.userId),
  );
  const inactivity = inactivityOfTenantUsers(data, input.now, inactiveDays);
  return holders.map((h) => ({
    userId: h.userId,
    displayName: typeof h.data.displayName === 'string' ? h.data.displayName : h.userId,
    userPrincipalName: typeof h.data.userPrincipalName === 'string' ? h.data.userPrincipalName : null,
    accountEnabled: typeof h.data.accountEnabled === 'boolean' ? h.data.accountEnabled : null,
    inactivity: inactivity.get(h.userId) ?? null,
  }));
}
