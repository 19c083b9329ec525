// Reports over the API (issue 17): the cross-customer overview, one tenant's licence report and
// who holds a SKU, and the licence prices the MSP enters (globally or per integration).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { CsvFormatQuery, sendCsv, wantsCsv, type CsvColumn } from '../../docs/export.ts';
import { BadInput, NotFound } from '../../errors.ts';
import { recordAudit } from '../../stores/audit.ts';
import { findIntegration } from '../../stores/integrations.ts';
import { OVERVIEW_SORT_FIELDS, overviewReport, type OverviewTenant } from '../../reports/overview.ts';
import { skuHolders, tenantLicenseReport } from '../../reports/tenant-licenses.ts';
import { deletePrice, findPrice, listPrices, savePrice, type LicensePrice } from '../../stores/licenses.ts';
import { IdParams, Nullable, Timestamp, Uuid } from '../schemas.ts';
import { actionContext } from './tenant-matches.ts';

const SortValues = OVERVIEW_SORT_FIELDS.flatMap((f) => [f, `-${f}`]);

export const OverviewTenantSchema = Type.Object({
  tenantId: Type.String({ description: 'docsync tenant id (as in /tenants/{id}), not the Microsoft tenant GUID' }),
  organizationId: Type.Optional(Type.String({ description: "the tenant's matched organization" })),
  users: Type.Integer(),
  enabledUsers: Type.Integer(),
  licensedUsers: Type.Integer(),
  mfaCoverage: Type.Optional(Type.Number({ description: 'share of enabled members with MFA, 0–1; absent when not readable' })),
  inactiveUsers: Type.Integer(),
  unusedPaidSeats: Type.Integer(),
  monthlyWaste: Type.Optional(Type.Number({ description: 'waste seats × the price per month; absent without prices' })),
  currency: Type.Optional(Type.String({ description: 'ISO 4217 code of monthlyWaste' })),
});

const OverviewSchema = Type.Object({
  tenants: Type.Array(OverviewTenantSchema),
  totals: Type.Object({
    tenants: Type.Integer(),
    users: Type.Integer(),
    enabledUsers: Type.Integer(),
    licensedUsers: Type.Integer(),
    inactiveUsers: Type.Integer(),
    unusedPaidSeats: Type.Integer(),
    monthlyWaste: Type.Optional(Type.Number({ description: 'present when every priced tenant uses one currency' })),
    currency: Type.Optional(Type.String()),
  }),
});

const PriceSchema = Type.Object({
  integrationId: Nullable(Type.String({ description: 'null: the global price' })),
  skuId: Type.String(),
  monthlyPrice: Type.Number(),
  currency: Type.String(),
  updatedAt: Timestamp,
});
const SkuParams = Type.Object({ skuId: Type.String({ pattern: '^[0-9a-fA-F-]{36}$' }) });
const PriceBody = Type.Object({
  monthlyPrice: Type.Number({ minimum: 0, maximum: 100_000, description: 'per seat per month, in the currency' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, e.g. EUR, USD, GBP' }),
  integrationId: Type.Optional(Nullable(Uuid)),
});
const PriceScopeQuery = Type.Object({ integrationId: Type.Optional(Uuid) });

const priceView = (p: LicensePrice) => ({
  integrationId: p.integrationId,
  skuId: p.skuId,
  monthlyPrice: p.monthlyPriceMinor / 100,
  currency: p.currency,
  updatedAt: p.updatedAt.toISOString(),
});

export function overviewColumns(names: Map<string, string>): Array<CsvColumn<OverviewTenant>> {
  return [
    { header: 'Tenant', value: (t) => names.get(t.tenantId) ?? '' },
    { header: 'Users', value: (t) => t.users },
    { header: 'Enabled users', value: (t) => t.enabledUsers },
    { header: 'Licensed users', value: (t) => t.licensedUsers },
    { header: 'MFA coverage', value: (t) => t.mfaCoverage },
    { header: 'Inactive users', value: (t) => t.inactiveUsers },
    { header: 'Unused paid seats', value: (t) => t.unusedPaidSeats },
    { header: 'Monthly waste', value: (t) => t.monthlyWaste },
    { header: 'Currency', value: (t) => t.currency },
    { header: 'docsync tenant id', value: (t) => t.tenantId },
    { header: 'docsync organization id', value: (t) => t.organizationId },
  ];
}

const PricedSkuSchema = Type.Object({
  skuId: Type.String(),
  partNumber: Nullable(Type.String()),
  name: Type.String(),
  free: Type.Boolean(),
  capabilityStatus: Nullable(Type.String({ description: 'Enabled, Warning, Suspended, Deleted, LockedOut' })),
  prepaid: Type.Object({ enabled: Type.Integer(), warning: Type.Integer(), suspended: Type.Integer(), lockedOut: Type.Integer() }),
  consumed: Type.Integer({ description: 'assigned' }),
  unusedPaidSeats: Type.Integer(),
  disabledHolders: Type.Integer(),
  inactiveHolders: Type.Integer(),
  wasteSeats: Type.Integer(),
  price: Nullable(Type.Object({ monthlyPrice: Type.Number(), currency: Type.String(), scope: Type.String() })),
  monthlyCost: Nullable(Type.Number()),
  monthlyWaste: Nullable(Type.Number()),
});

export const reportApiRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;
  const tags = ['reports'];
  app.get(
    '/api/reports/overview',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary:
          'Every customer tenant side by side: users, licences, inactivity, unused paid seats and their monthly cost (CSV: ?format=csv ' +
          'or Accept: text/csv)',
        querystring: Type.Object({
          sort: Type.Optional(
            Type.Union(
              SortValues.map((v) => Type.Literal(v)),
              { description: 'a field; "-" first for descending' },
            ),
          ),
          ...CsvFormatQuery,
        }),
        response: { 200: OverviewSchema },
      },
    },
    async (request, reply) => {
      const overview = await overviewReport(db, { sort: request.query.sort });
      if (wantsCsv(request))
        return sendCsv(reply, 'customer-overview', ctx.clock.now(), overviewColumns(overview.names), async (page) =>
          page === 1 ? overview.tenants : [],
        );
      return { tenants: overview.tenants, totals: overview.totals };
    },
  );

  app.get(
    '/api/tenants/:id/license-report',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary: "A tenant's licences per SKU: bought by state, assigned, unused, held by disabled or inactive users, cost and waste",
        params: IdParams,
        response: {
          200: Type.Object({
            skus: Type.Array(PricedSkuSchema),
            users: Type.Integer(),
            enabledUsers: Type.Integer(),
            licensedUsers: Type.Integer(),
            inactiveUsers: Type.Integer(),
            unusedPaidSeats: Type.Integer(),
            wasteSeats: Type.Integer(),
            monthlyCost: Nullable(Type.Number()),
            monthlyWaste: Nullable(Type.Number()),
            currency: Nullable(Type.String()),
            unpricedSkus: Type.Integer({ description: 'paid SKUs without a price: left out of the money figures' }),
            inactiveDays: Type.Integer(),
          }),
        },
      },
    },
    async (request) =>
      tenantLicenseReport(db, { tenantId: request.params.id, now: ctx.clock.now(), defaultInactiveDays: ctx.config.sync.inactiveDays }),
  );

  app.get(
    '/api/tenants/:id/licenses/:skuId/users',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary: 'Who holds a SKU in the tenant, with each holder’s account state and inactivity',
        params: Type.Object({ id: Uuid, skuId: SkuParams.properties.skuId }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                userId: Type.String(),
                displayName: Type.String(),
                userPrincipalName: Nullable(Type.String()),
                accountEnabled: Nullable(Type.Boolean()),
                state: Nullable(Type.String({ description: 'active, inactive, disabled or unknown' })),
                lastSeenAt: Nullable(Type.String()),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const holders = await skuHolders(db, {
        tenantId: request.params.id,
        skuId: request.params.skuId,
        now: ctx.clock.now(),
        defaultInactiveDays: ctx.config.sync.inactiveDays,
      });
      return {
        items: holders.map((h) => ({
          userId: h.userId,
          displayName: h.displayName,
          userPrincipalName: h.userPrincipalName,
          accountEnabled: h.accountEnabled,
          state: h.inactivity?.state ?? null,
          lastSeenAt: h.inactivity?.lastSeen?.at ?? null,
        })),
      };
    },
  );

  app.get(
    '/api/license-prices',
    {
      config: { access: 'signedIn' },
      schema: {
        tags,
        summary: 'Licence prices per SKU per month: the global ones, or one integration’s overrides',
        querystring: PriceScopeQuery,
        response: { 200: Type.Object({ items: Type.Array(PriceSchema) }) },
      },
    },
    async (request) => ({ items: (await listPrices(db, request.query.integrationId ?? null)).map(priceView) }),
  );

  app.put(
    '/api/license-prices/:skuId',
    {
      config: { access: 'administrator' },
      schema: {
        tags,
        summary: 'Set the price of a SKU per seat per month, globally or for one integration (which then wins)',
        params: SkuParams,
        body: PriceBody,
        response: { 200: Type.Object({ price: PriceSchema }) },
      },
    },
    async (request) => {
      const integrationId = request.body.integrationId ?? null;
      if (integrationId) {
        const exists = await findIntegration(db, integrationId);
        if (!exists) throw new NotFound('No such integration.');
      }
      const minor = Math.round(request.body.monthlyPrice * 100);
      if (Math.abs(minor - request.body.monthlyPrice * 100) > 1e-6)
        throw new BadInput('Monthly price: at most two decimals (for example 22.00 or 12.5).');
      const context = actionContext(request);
      const before = await findPrice(db, integrationId, request.params.skuId);
      const now = ctx.clock.now();
      await savePrice(db, {
        integrationId,
        skuId: request.params.skuId,
        monthlyPriceMinor: minor,
        currency: request.body.currency,
        by: context.actor.label,
        now,
      });
      const after = (await findPrice(db, integrationId, request.params.skuId))!;
      await recordAudit(db, {
        actor: context.actor,
        action: 'license_price.set',
        subjectType: 'license_price',
        subjectId: `${integrationId ?? 'global'}:${after.skuId}`,
        before: before ? priceView(before) : null,
        after: priceView(after),
        requestId: context.requestId,
        at: now,
      });
      return { price: priceView(after) };
    },
  );

  app.delete(
    '/api/license-prices/:skuId',
    {
      config: { access: 'administrator' },
      schema: {
        tags,
        summary: 'Remove a price (an integration’s override falls back to the global price)',
        params: SkuParams,
        querystring: PriceScopeQuery,
        response: { 200: Type.Object({ removed: Type.Boolean() }) },
      },
    },
    async (request) => {
      const integrationId = request.query.integrationId ?? null;
      const before = await findPrice(db, integrationId, request.params.skuId);
      if (!before) throw new NotFound('No price for that SKU here.');
      await deletePrice(db, integrationId, request.params.skuId);
      const context = actionContext(request);
      await recordAudit(db, {
        actor: context.actor,
        action: 'license_price.remove',
        subjectType: 'license_price',
        subjectId: `${integrationId ?? 'global'}:${before.skuId}`,
        before: priceView(before),
        after: null,
        requestId: context.requestId,
        at: ctx.clock.now(),
      });
      return { removed: true };
    },
  );
};
