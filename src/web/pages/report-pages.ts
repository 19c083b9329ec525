// Report pages (issue 17): every customer side by side (/reports, sortable, CSV), one tenant's
// licences with cost and waste (/tenants/:id/license-report), who holds a SKU, the licence
// prices, and the trends of an organization's tenants, each chart with its numbers beside it.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { requirePrincipal } from '../guards.ts';
import { html, name, type SafeHtml } from '../html.ts';
import { badge, can, emptyState, layout } from './layout.ts';
import { sendPage } from './account-pages.ts';
import { IdParams, Uuid } from '../schemas.ts';
import { csvHref, sendCsv, wantsCsv } from '../../docs/export.ts';
import { OVERVIEW_SORT_FIELDS, overviewReport, type OverviewTenant } from '../../reports/overview.ts';
import { skuHolders, tenantLicenseReport } from '../../reports/tenant-licenses.ts';
import { snapshotSeries, type SnapshotRow } from '../../stores/snapshots.ts';
import { listPrices, subscribedSkuIdsOfAllTenants } from '../../stores/licenses.ts';
import { findOrganizationName } from '../../stores/organizations.ts';
import { tenantsMatchedToOrganization } from '../../stores/tenant-matches.ts';
import { getTenant } from '../../stores/tenants.ts';
import { NotFound } from '../../errors.ts';
import { licenseDisplayName } from '../../licensing/skus.ts';
import { DAY_MS } from '../../time.ts';
import { lineChart } from './charts.ts';
import { overviewColumns } from '../api/reports.ts';

const TREND_DAYS = 90;
const SortQuery = Type.Object({
  sort: Type.Optional(Type.Union([...OVERVIEW_SORT_FIELDS.flatMap((f) => [f, `-${f}`]), ''].map((v) => Type.Literal(v)))),
  format: Type.Optional(Type.Literal('csv')),
});

const money = (value: number | null | undefined, currency: string | null | undefined) =>
  value === null || value === undefined || !currency ? html`<span class="muted">no price</span>` : `${value.toFixed(2)} ${currency}`;

/** Per day, the sum over the given snapshots (one per tenant and day). */
function dailyTotals(rows: SnapshotRow[]) {
  const byDay = new Map<string, { inactive: number; unused: number; waste: number; licensed: number }>();
  for (const r of rows) {
    const t = byDay.get(r.takenOn) ?? { inactive: 0, unused: 0, waste: 0, licensed: 0 };
    t.inactive += r.inactiveUsers;
    t.unused += r.unusedPaidSeats;
    t.waste += r.wasteSeats;
    t.licensed += r.licensedUsers;
    byDay.set(r.takenOn, t);
  }
  const days = [...byDay.keys()].sort();
  const pick = (key: 'inactive' | 'unused' | 'waste' | 'licensed') => days.map((d) => byDay.get(d)![key]);
  return { days, pick };
}

function trendsChart(id: string, title: string, rows: SnapshotRow[]): SafeHtml {
  const { days, pick } = dailyTotals(rows);
  return lineChart({
    id,
    title,
    days,
    series: [
      { label: 'Licensed users', values: pick('licensed') },
      { label: 'Inactive users', values: pick('inactive') },
      { label: 'Wasted seats', values: pick('waste') },
      { label: 'Unused paid seats', values: pick('unused') },
    ],
  });
}

export const reportPageRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;
  const since = () => new Date(ctx.clock.now().getTime() - TREND_DAYS * DAY_MS).toISOString().slice(0, 10);

  app.get('/reports', { config: { access: 'signedIn', page: true }, schema: { querystring: SortQuery } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const sort = request.query.sort || '-monthlyWaste';
    const overview = await overviewReport(db, { sort });
    if (wantsCsv(request))
      return sendCsv(reply, 'customer-overview', ctx.clock.now(), overviewColumns(overview.names), async (page) =>
        page === 1 ? overview.tenants : [],
      );
    const header = (field: (typeof OVERVIEW_SORT_FIELDS)[number], label: string) => {
      const current = sort === field ? 'ascending' : sort === `-${field}` ? 'descending' : null;
      const next = sort === `-${field}` ? field : `-${field}`;
      return html`<th scope="col" ${current ? html` aria-sort="${current}"` : ''}>
        <a href="/reports?sort=${next}">${label}${current === 'descending' ? ' ↓' : current === 'ascending' ? ' ↑' : ''}</a>
      </th>`;
    };
    const row = (t: OverviewTenant) =>
      html`<tr>
        <th scope="row"><a href="/tenants/${t.tenantId}/license-report">${name(overview.names.get(t.tenantId))}</a></th>
        <td>${t.users}</td>
        <td>${t.enabledUsers}</td>
        <td>${t.licensedUsers}</td>
        <td>${t.mfaCoverage === undefined ? html`<span class="muted">—</span>` : `${Math.round(t.mfaCoverage * 100)} %`}</td>
        <td>${t.inactiveUsers}</td>
        <td>${t.unusedPaidSeats}</td>
        <td>${money(t.monthlyWaste, t.currency)}</td>
      </tr>`;
    const trends = await snapshotSeries(db, 'all', since());
    const body = html`<h1>Reports: every customer</h1>
      <p class="muted">
        Which customers waste the most: seats bought but unused, and seats held by disabled or inactive users, priced with the
        <a href="/reports/prices">licence prices</a> you entered. Figures are as of each tenant's last sync.
      </p>
      <p><a class="button secondary" href="${csvHref('/reports', { sort })}">Download CSV</a></p>
      ${
        overview.tenants.length === 0
          ? emptyState('No figures yet.', 'They appear after the next sync of each tenant.')
          : html`<table class="sortable">
              <caption class="visually-hidden">
                Customer tenants, sorted by ${sort.replace(/^-/, '')}
              </caption>
              <thead>
                <tr>
                  ${header('name', 'Tenant')} ${header('users', 'Users')} ${header('enabledUsers', 'Enabled')}
                  ${header('licensedUsers', 'Licensed')} ${header('mfaCoverage', 'MFA coverage')} ${header('inactiveUsers', 'Inactive')}
                  ${header('unusedPaidSeats', 'Unused paid seats')} ${header('monthlyWaste', 'Monthly waste')}
                </tr>
              </thead>
              <tbody>
                ${overview.tenants.map(row)}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">All ${overview.totals.tenants} tenants</th>
                  <td>${overview.totals.users}</td>
                  <td>${overview.totals.enabledUsers}</td>
                  <td>${overview.totals.licensedUsers}</td>
                  <td></td>
                  <td>${overview.totals.inactiveUsers}</td>
                  <td>${overview.totals.unusedPaidSeats}</td>
                  <td>${money(overview.totals.monthlyWaste, overview.totals.currency)}</td>
                </tr>
              </tfoot>
            </table>`
      }
      <h2>Trends</h2>
      ${trendsChart('all-trends', `Every customer, the last ${TREND_DAYS} days`, trends)}`;
    return sendPage(reply, 200, layout({ title: 'Reports', principal, section: 'reports', body }));
  });

  app.get(
    '/tenants/:id/license-report',
    { config: { access: 'signedIn', page: true }, schema: { params: IdParams } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const tenant = await getTenant(db, request.params.id);
      const report = await tenantLicenseReport(db, {
        tenantId: tenant.id,
        now: ctx.clock.now(),
        defaultInactiveDays: ctx.config.sync.inactiveDays,
      });
      const trends = await snapshotSeries(db, [tenant.id], since());
      const body = html`<p><a href="/tenants/${tenant.id}/licenses">← Licenses of ${name(tenant.display_name)}</a></p>
        <h1>Licence cost and waste: ${name(tenant.display_name)}</h1>
        <p>
          Monthly cost ${money(report.monthlyCost, report.currency)}; waste ${report.wasteSeats} seats,
          ${money(report.monthlyWaste, report.currency)} a month (unused paid seats + seats of disabled accounts + seats of users inactive
          for ${report.inactiveDays} days).
          ${
            report.unpricedSkus > 0
              ? html`<span class="muted"
                  >${report.unpricedSkus} paid licence(s) have no price: <a href="/reports/prices">enter prices</a>.</span
                >`
              : ''
          }
        </p>
        ${
          report.skus.length === 0
            ? emptyState('No licences read for this tenant yet.')
            : html`<div class="table-scroll" tabindex="0" role="region" aria-label="Licences per SKU">
                <table>
                  <caption class="visually-hidden">
                    Licences per SKU
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Licence</th>
                      <th scope="col">Bought: enabled / warning / suspended / locked out</th>
                      <th scope="col">Assigned / unused</th>
                      <th scope="col">Held by disabled / inactive</th>
                      <th scope="col">Price, cost and waste per month</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${report.skus.map(
                      (s) =>
                        html`<tr>
                          <th scope="row">
                            <a href="/tenants/${tenant.id}/licenses/${s.skuId}">${s.name}</a
                            >${s.free ? html` <span class="muted">(free)</span>` : ''}
                            ${
                              s.capabilityStatus && s.capabilityStatus !== 'Enabled'
                                ? html`<br />${badge('sku', s.capabilityStatus.toLowerCase())}`
                                : ''
                            }
                          </th>
                          <td>${s.prepaid.enabled} / ${s.prepaid.warning} / ${s.prepaid.suspended} / ${s.prepaid.lockedOut}</td>
                          <td>${s.consumed} / ${s.unusedPaidSeats}</td>
                          <td>${s.disabledHolders} / ${s.inactiveHolders}</td>
                          <td>
                            ${
                              s.price
                                ? html`${s.price.monthlyPrice.toFixed(2)} ${s.price.currency} a seat; cost
                                  ${money(s.monthlyCost, s.price.currency)}; waste ${money(s.monthlyWaste, s.price.currency)}`
                                : s.free
                                  ? html`<span class="muted">free</span>`
                                  : html`<span class="muted">no price</span>`
                            }
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
        }
        <h2>Trends</h2>
        ${trendsChart('tenant-trends', `${tenant.display_name.slice(0, 80)}, the last ${TREND_DAYS} days`, trends)}`;
      return sendPage(
        reply,
        200,
        layout({ title: `Licence cost of ${tenant.display_name.slice(0, 80)}`, principal, section: 'reports', body }),
      );
    },
  );

  app.get(
    '/tenants/:id/licenses/:skuId',
    {
      config: { access: 'signedIn', page: true },
      schema: { params: Type.Object({ id: Uuid, skuId: Type.String({ pattern: '^[0-9a-fA-F-]{36}$' }) }) },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const tenant = await getTenant(db, request.params.id);
      const holders = await skuHolders(db, {
        tenantId: tenant.id,
        skuId: request.params.skuId,
        now: ctx.clock.now(),
        defaultInactiveDays: ctx.config.sync.inactiveDays,
      });
      const title = licenseDisplayName(request.params.skuId);
      const body = html`<p><a href="/tenants/${tenant.id}/license-report">← Licence cost of ${name(tenant.display_name)}</a></p>
        <h1>Who holds ${title}</h1>
        ${
          holders.length === 0
            ? emptyState('Nobody in this tenant holds this licence.')
            : html`<table>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">State</th>
                    <th scope="col">Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  ${holders.map(
                    (h) =>
                      html`<tr>
                        <td>
                          <a href="/tenants/${tenant.id}/users/${encodeURIComponent(h.userId)}">${name(h.displayName)}</a><br /><span
                            class="muted"
                            >${h.userPrincipalName ?? ''}</span
                          >
                        </td>
                        <td>${h.inactivity ? badge('activity', h.inactivity.state) : '—'}</td>
                        <td>
                          ${h.inactivity?.lastSeen ? `${h.inactivity.lastSeen.at.slice(0, 10)} (${h.inactivity.lastSeen.label})` : 'never'}
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }`;
      return sendPage(reply, 200, layout({ title: `Holders of ${title}`, principal, section: 'reports', body }));
    },
  );

  app.get('/reports/prices', { config: { access: 'signedIn', page: true } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const admin = can(principal, 'administrator');
    const prices = new Map((await listPrices(db, null)).map((p) => [p.skuId, p]));
    const skuIds = await subscribedSkuIdsOfAllTenants(db);
    const ids = [...new Set([...skuIds.map((id) => id.toLowerCase()), ...prices.keys()])];
    const rows = ids
      .map((id) => ({ id, name: licenseDisplayName(id), price: prices.get(id) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const body = html`<p><a href="/reports">← Reports</a></p>
      <h1>Licence prices</h1>
      <p class="muted">
        What a seat costs you per month, per licence. Microsoft's prices depend on your agreement, so docsync starts with none. An
        integration can override a price (PUT /api/license-prices/{skuId} with integrationId).
      </p>
      ${
        rows.length === 0
          ? emptyState('No licences read yet.', 'Licences appear after the first sync.')
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">Licence</th>
                  <th scope="col">Price per seat per month</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  (r, i) =>
                    html`<tr>
                      <th scope="row">${r.name}</th>
                      <td>
                        ${
                          admin
                            ? html`<form class="inline" data-api="PUT /api/license-prices/${r.id}" data-done="Price saved.">
                                <label for="p-${i}" class="visually-hidden">Price of ${r.name}</label
                                ><input
                                  id="p-${i}"
                                  name="monthlyPrice"
                                  type="number"
                                  min="0"
                                  step="0.01"
                                  data-type="number"
                                  required
                                  value="${r.price ? (r.price.monthlyPriceMinor / 100).toFixed(2) : ''}"
                                />
                                <label for="c-${i}" class="visually-hidden">Currency of ${r.name}</label
                                ><input
                                  id="c-${i}"
                                  name="currency"
                                  size="3"
                                  maxlength="3"
                                  pattern="[A-Z]{3}"
                                  required
                                  value="${r.price?.currency ?? 'EUR'}"
                                />
                                <button type="submit" class="secondary">Save<span class="visually-hidden"> ${r.name}</span></button>
                              </form>`
                            : r.price
                              ? `${(r.price.monthlyPriceMinor / 100).toFixed(2)} ${r.price.currency}`
                              : html`<span class="muted">no price</span>`
                        }
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`;
    return sendPage(reply, 200, layout({ title: 'Licence prices', principal, section: 'reports', body }));
  });

  app.get(
    '/organizations/:id/trends',
    { config: { access: 'signedIn', page: true }, schema: { params: IdParams } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const organization = await findOrganizationName(db, request.params.id);
      if (!organization) throw new NotFound('No such organization.');
      const trends = await snapshotSeries(db, await tenantsMatchedToOrganization(db, organization.id), since());
      const body = html`<p><a href="/organizations/${organization.id}">← ${name(organization.name)}</a></p>
        <h1>Trends: ${name(organization.name)}</h1>
        ${trendsChart('organization-trends', `${organization.name.slice(0, 80)}, the last ${TREND_DAYS} days`, trends)}`;
      return sendPage(reply, 200, layout({ title: `Trends of ${organization.name.slice(0, 80)}`, principal, section: 'reports', body }));
    },
  );
};
