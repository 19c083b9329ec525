import { describe, expect, it } from 'vitest';
import { effectivePrices, moneyOf, tenantFigures } from '../../../src/reports/licenses.ts';
import type { Inactivity } from '../../../src/reports/inactivity.ts';
import type { LicensePrice } from '../../../src/stores/licenses.ts';

const E3 = '05e9a617-0261-4cee-bb44-138d3ef5d965';
const BP = 'cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46';
const state = (s: Inactivity['state']): Inactivity => ({ state: s, inactiveDays: 30, lastSeen: null, evidence: [], missing: [] });
const price = (skuId: string, minor: number, currency = 'EUR', integrationId: string | null = null): LicensePrice => ({
  integrationId,
  skuId,
  monthlyPriceMinor: minor,
  currency,
  updatedAt: new Date(0),
  updatedBy: null,
});

describe('licence figures', () => {
  const users = [
    { userId: 'a', accountEnabled: true, skuIds: [E3] },
    { userId: 'b', accountEnabled: false, skuIds: [E3] },
    { userId: 'c', accountEnabled: true, skuIds: [E3, BP] },
    { userId: 'd', accountEnabled: true, skuIds: [] },
  ];
  const skus = [
    {
      skuId: E3,
      data: { skuPartNumber: 'SPE_E3', consumedUnits: 3, prepaidUnits: { enabled: 5, warning: 1, suspended: 0, lockedOut: 0 } },
    },
    {
      skuId: BP,
      data: {
        skuPartNumber: 'SPB',
        capabilityStatus: 'Suspended',
        consumedUnits: 1,
        prepaidUnits: { enabled: 0, suspended: 10, warning: 0 },
      },
    },
  ];
  const inactivity = new Map([
    ['a', state('active')],
    ['b', state('disabled')],
    ['c', state('inactive')],
    ['d', state('inactive')],
  ]);

  it('counts waste as unused paid seats plus seats of disabled and inactive holders', () => {
    const f = tenantFigures(users, skus, inactivity);
    const e3 = f.skus.find((s) => s.skuId === E3)!;
    expect(e3).toMatchObject({ unusedPaidSeats: 3, disabledHolders: 1, inactiveHolders: 1, wasteSeats: 5 });
    expect(f).toMatchObject({ users: 4, enabledUsers: 3, licensedUsers: 3, inactiveUsers: 2 });
  });

  it('shows a suspended SKU with its suspended units, not 0/0/0', () => {
    const bp = tenantFigures(users, skus, inactivity).skus.find((s) => s.skuId === BP)!;
    expect(bp).toMatchObject({ capabilityStatus: 'Suspended', prepaid: { enabled: 0, suspended: 10 }, consumed: 1, unusedPaidSeats: 0 });
  });

  it('prices cost and waste with the integration override first, and gives no money across two currencies', () => {
    const f = tenantFigures(users, skus, inactivity);
    const prices = effectivePrices([price(E3, 2000), price(E3, 1500, 'EUR', 'i-1')], 'i-1');
    expect(moneyOf(f, prices)).toEqual({ monthlyCostMinor: 6 * 1500, monthlyWasteMinor: 5 * 1500, currency: 'EUR', unpricedSkus: 0 });
    expect(moneyOf(f, effectivePrices([price(E3, 2000)], null)).monthlyWasteMinor).toBe(10_000);
    const mixed = effectivePrices([price(E3, 2000), price(BP, 1000, 'USD')], null);
    expect(moneyOf(f, mixed)).toMatchObject({ monthlyWasteMinor: null, currency: null });
  });
});
