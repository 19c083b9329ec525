// The technician's review pages: organizations ↔ tenants, a tenant's contacts (with the
// Microsoft overlay), configurations and licenses. Reads come from the same services as the
// API; every action button calls the JSON API (static/app.js).
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import type { Principal } from '../../auth/roles.ts';
import { listTenantMatches, type TenantMatchRow } from '../services/tenant-matches.ts';
import { getTenant } from '../../stores/tenants.ts';
import { listTenantDevices, listTenantUsers, tenantLicenses, tenantUserDetail, type UserRow } from '../services/tenant-contents.ts';
import { listIntegrations, secretExpiryNotices } from '../services/integrations.ts';
import { requirePrincipal } from '../guards.ts';
import { bytes, html, name, when, type SafeHtml } from '../html.ts';
import { searchFilters } from './list-views.ts';
import { cursorPager, listHref } from './list-controls.ts';
import { deviceListControls, userListControls } from './tenant-list-controls.ts';
import { DeviceListQuerySchema, deviceListQuery, exportPages, UserListQuerySchema, userListQuery } from '../tenant-list-query.ts';
import { tenantDeviceOperatingSystems } from '../../stores/tenant-lists.ts';
import { tenantTabs } from './tenant-tabs.ts';
import { badge, can, emptyState, layout, pager, secretExpiryBanner } from './layout.ts';
import { sendPage } from './account-pages.ts';
import { IdParams, PageQuery, Uuid } from '../schemas.ts';
import { tenantStatus } from '../services/tenant-status.ts';
import { tenantEmptyState } from './tenant-status-view.ts';
import { csvHref, CsvFormatQuery, sendCsv, wantsCsv } from '../../docs/export.ts';
import { DEVICE_COLUMNS, TENANT_COLUMNS, USER_COLUMNS } from '../csv-columns.ts';
import { userMfa } from '../../reports/mfa.ts';
import { mfaOverlay } from './tenant-mfa-page.ts';
import { tenantDepartments, tenantGroups } from '../../stores/groups.ts';
import { appActivityView, inactivityView } from './inactivity-view.ts';
import { RESOURCE_MAILBOX_LABELS } from '../../microsoft/mailbox-kinds.ts';
import { devicePortalLinks, portalCloud, tenantPortalLinks, userPortalLinks } from '../../microsoft/portal-links.ts';
import { fixLinks, fixLinksView } from './fix-links.ts';
import { createIntegrationStore } from '../../microsoft/integrations.ts';
import { reviewFormFields, tenantRowAnchor, userRowAnchor } from './review-forms.ts';
import { manageInMicrosoftMenu, rowActionsCell, userLifecycleActions } from './row-actions.ts';

const TENANT_STATES = ['matched', 'suggested', 'unmatched', 'ignored'] as const;
const DECISIONS = ['match', 'create', 'review', 'skip', 'pending', 'excluded'] as const;
/** Filters arrive from a GET form: an empty select means "any". */
const Optional = (schema: TSchema) => Type.Optional(Type.Union([schema, Type.Literal('')]));

const score = (value: number | null) => (value === null ? '—' : value.toFixed(2));

/**
 * A tenant's decisions. Each button is a plain form post (review-forms.ts) and, with script, a call to the
 * JSON API that updates the row in place (data-api). Choosing another organization needs the type-ahead
 * (script); its input belongs to no form, so Enter in it never submits "Accept".
 */
function tenantActions(t: TenantMatchRow, principal: Principal, back: string): SafeHtml {
  if (!can(principal, 'technician')) return html`<span class="muted">read-only</span>`;
  const top = t.suggestions[0];
  const pickId = `pick-${t.id}`;
  const label = t.displayName.slice(0, 200);
  return html`<form class="actions" method="post" action="/tenants/${t.id}/decide">
    ${reviewFormFields(principal, back)}
    ${
      t.state === 'suggested' && top
        ? html`<input type="hidden" name="organizationId" value="${top.organizationId}" /><button
              name="decision"
              value="accept"
              data-api="POST /api/tenants/${t.id}/accept"
              data-body="${JSON.stringify({ organizationId: top.organizationId })}"
              data-done="Suggestion accepted."
            >
              Accept<span class="visually-hidden"> ${top.name} for ${label}</span>
            </button>`
        : ''
    }
    <label class="visually-hidden" for="${pickId}">Choose an organization for ${label}</label>
    <input
      id="${pickId}"
      form="${pickId}-typeahead"
      list="${pickId}-list"
      data-typeahead="/api/organizations"
      placeholder="Choose organization…"
      size="18"
      autocomplete="off"
    /><datalist id="${pickId}-list"></datalist>
    <button
      type="button"
      class="secondary"
      data-api="POST /api/tenants/${t.id}/choose"
      data-pick="${pickId}"
      data-done="Organization chosen."
    >
      ${t.state === 'matched' ? 'Change' : 'Choose'}<span class="visually-hidden"> organization</span>
    </button>
    ${
      t.state !== 'matched'
        ? html`<button
            class="secondary"
            name="decision"
            value="create-organization"
            data-api="POST /api/tenants/${t.id}/create-organization"
            data-done="Organization created."
          >
            Create organization
          </button>`
        : ''
    }
    ${
      t.state !== 'ignored'
        ? html`<button
            class="danger"
            name="decision"
            value="ignore"
            data-api="POST /api/tenants/${t.id}/ignore"
            data-done="Tenant ignored."
          >
            Ignore
          </button>`
        : ''
    }
    ${
      t.decidedByTechnician
        ? html`<button class="secondary" name="decision" value="undo" data-api="POST /api/tenants/${t.id}/undo" data-done="Undone.">
            Undo
          </button>`
        : ''
    }
  </form>`;
}

/** One row of the tenants table: written once, for the page and for the row's in-place update. */
function tenantRow(t: TenantMatchRow, principal: Principal, back: string): SafeHtml {
  return html`<tr data-tenant="${t.id}">
    <td id="${tenantRowAnchor(t.id)}">
      ${name(t.displayName)}<br /><span class="muted">${t.defaultDomain ?? ''}</span><br /><a href="/tenants/${t.id}/contacts">Contacts</a>
      · <a href="/tenants/${t.id}/configurations">Devices</a> · <a href="/tenants/${t.id}/licenses">Licenses</a>
    </td>
    <td>
      ${badge('state', t.state)}${t.decidedByTechnician ? html`<br /><span class="muted">by a technician</span>` : ''}${
        t.health === 'failing' || t.health === 'warning'
          ? html`<br />${badge('health', t.health)}${t.healthReason ? html` <span class="muted small">${t.healthReason}</span>` : ''}`
          : ''
      }
    </td>
    <td>${t.rule ?? '—'}</td>
    <td class="num">${score(t.score)}</td>
    <td>
      ${
        t.organizationName && t.organizationId
          ? html`<a href="/organizations/${t.organizationId}">${name(t.organizationName)}</a>`
          : t.suggestions.length
            ? html`<ol>
                ${t.suggestions.map((s) => html`<li>${name(s.name)} <span class="muted">${s.score.toFixed(2)}</span></li>`)}
              </ol>`
            : html`<span class="muted">no suggestion</span>`
      }
    </td>
    <td>${tenantActions(t, principal, back)}</td>
  </tr>`;
}

const decisionUrl = (tenantId: string, userId: string) => `/api/tenants/${tenantId}/users/${encodeURIComponent(userId)}/decision`;

/** A room, equipment or shared mailbox, marked as such wherever the user is listed. */
function mailboxMark(u: Pick<UserRow, 'mailboxKind'>): SafeHtml | string {
  return u.mailboxKind ? html` <span class="badge mailbox-kind">${RESOURCE_MAILBOX_LABELS[u.mailboxKind]}</span>` : '';
}

/**
 * The candidates of a review, each with what tells namesakes apart (emails, title, phone,
 * devices, when the record was made and changed) and a link to its record; a technician
 * picks one with its own button.
 */
function candidateList(u: UserRow, tenantId: string, principal: Principal, back: string): SafeHtml {
  const technician = can(principal, 'technician') && u.decision === 'review';
  const formAction = `/tenants/${tenantId}/users/${encodeURIComponent(u.userId)}/decide`;
  return html`<ul class="candidates" aria-label="Candidates for ${u.displayName.slice(0, 200)}">
    ${u.candidates.map(
      (c) =>
        html`<li class="candidate">
          <a href="${c.url}">${name(c.name)}</a>${c.title ? html` <span class="muted">· ${c.title}</span>` : ''}
          <dl class="candidate-facts">
            <dt>Emails</dt>
            <dd>${c.emails.length ? c.emails.join(', ') : html`<span class="muted">none</span>`}</dd>
            <dt>Phone</dt>
            <dd>${c.phone ?? html`<span class="muted">none</span>`}</dd>
            <dt>Devices</dt>
            <dd>${c.devices.length ? c.devices.join(', ') : html`<span class="muted">none</span>`}</dd>
            <dt>Created</dt>
            <dd>${when(c.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>${when(c.updatedAt)}</dd>
          </dl>
          ${
            technician
              ? html`<form method="post" action="${formAction}">
                  ${reviewFormFields(principal, back)}<input type="hidden" name="contactId" value="${c.id}" /><button
                    name="action"
                    value="match"
                    data-api="POST ${decisionUrl(tenantId, u.userId)}"
                    data-body="${JSON.stringify({ action: 'match', contactId: c.id })}"
                    data-done="Review resolved."
                  >
                    Match ${c.name}<span class="visually-hidden"
                      >${c.emails[0] ? ` (${c.emails[0]})` : ''} to ${u.displayName.slice(0, 200)}</span
                    >
                  </button>
                </form>`
              : ''
          }
        </li>`,
    )}
  </ul>`;
}

/** A user's decisions: plain form posts (review-forms.ts), or with script the JSON API and an in-place update. */
function decisionCell(u: UserRow, tenantId: string, principal: Principal, back: string): SafeHtml {
  const technician = can(principal, 'technician');
  const url = decisionUrl(tenantId, u.userId);
  const pickId = `contact-${u.userId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  if (!technician) return html`<div class="actions"></div>`;
  return html`<form class="actions" method="post" action="/tenants/${tenantId}/users/${encodeURIComponent(u.userId)}/decide">
    ${reviewFormFields(principal, back)}
    ${
      technician
        ? html`<label class="visually-hidden" for="${pickId}">Choose a contact for ${u.displayName.slice(0, 200)}</label
            ><input
              id="${pickId}"
              form="${pickId}-typeahead"
              list="${pickId}-list"
              data-typeahead="/api/tenants/${tenantId}/contacts"
              placeholder="Other contact…"
              size="14"
              autocomplete="off"
            /><datalist id="${pickId}-list"></datalist>
            <button
              type="button"
              class="secondary"
              data-api="POST ${url}"
              data-body="${JSON.stringify({ action: 'match' })}"
              data-pick="${pickId}"
              data-pick-key="contactId"
              data-done="Contact chosen."
            >
              Change match
            </button>
            ${
              u.decision !== 'create' && u.decision !== 'match'
                ? html`<button
                    class="secondary"
                    name="action"
                    value="create"
                    data-api="POST ${url}"
                    data-body='{"action":"create"}'
                    data-done="A new contact will be created at the next sync."
                  >
                    New contact
                  </button>`
                : ''
            }
            ${
              u.decision !== 'excluded'
                ? html`<button
                    class="danger"
                    name="action"
                    value="exclude"
                    data-api="POST ${url}"
                    data-body='{"action":"exclude"}'
                    data-done="User excluded."
                  >
                    Exclude
                  </button>`
                : ''
            }
            ${
              u.decidedByTechnician
                ? html`<button
                    class="secondary"
                    name="action"
                    value="undo"
                    data-api="POST ${url}"
                    data-body='{"action":"undo"}'
                    data-done="Undone."
                  >
                    Undo
                  </button>`
                : ''
            }`
        : ''
    }
  </form>`;
}

/** A licensed user in the licence lists: a link to the user's page, the UPN under the name. */
function licensedUserCell(tenantId: string, u: { userId: string; displayName: string; userPrincipalName: string | null }): SafeHtml {
  return html`<td>
    <a href="/tenants/${tenantId}/users/${encodeURIComponent(u.userId)}">${name(u.displayName)}</a><br /><span class="muted"
      >${u.userPrincipalName ?? ''}</span
    >
  </td>`;
}

/**
 * "Refresh licenses now" (issue 17): re-reads the tenant's subscriptions and who holds them, then
 * the page reloads with the new figures and says what changed. Technicians and up; active tenants.
 */
function licenseRefreshButton(tenant: { id: string; display_name: string }, principal: Principal, status: { active: boolean }) {
  if (!can(principal, 'technician') || !status.active) return '';
  return html`<p class="actions">
    <button class="secondary" data-api="POST /api/tenants/${tenant.id}/licenses/refresh" data-summary data-done="Licenses refreshed.">
      Refresh licenses now<span class="visually-hidden"> of ${tenant.display_name.slice(0, 200)}</span>
    </button>
    <span class="muted">Reads only subscriptions and assigned licenses from Microsoft; the rest waits for the next sync.</span>
  </p>`;
}

export const reviewPageRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;
  const inactiveDays = ctx.config.sync.inactiveDays;
  const cloud = portalCloud(ctx.config.microsoft);
  type TenantRow = Awaited<ReturnType<typeof getTenant>>;
  // The header of a tenant's pages: its "Manage in Microsoft" menu, and beside each problem where it is fixed.
  const tenantExtras = async (tenant: TenantRow) => {
    const ref = { microsoftTenantId: tenant.microsoft_tenant_id, accessKind: tenant.access_kind };
    const integration = await createIntegrationStore({ db, secrets: ctx.secrets, clock: ctx.clock }).get(tenant.integration_id);
    const context = {
      authorityHost: ctx.config.microsoft.authorityHost,
      cloud,
      integrationId: tenant.integration_id,
      clientId: integration.clientId,
      tenant: ref,
    };
    return {
      manageMenu: manageInMicrosoftMenu(tenant.display_name, tenantPortalLinks(cloud, ref)),
      fixFor: (code: string) => fixLinksView(fixLinks(code, context)),
    };
  };
  // A user row's menu: the user in Microsoft's portals, then docsync's lifecycle actions for technicians
  // (not for a user Microsoft no longer has).
  const userRowActions = (tenant: { id: string; microsoft_tenant_id: string }, u: UserRow, principal: Principal) =>
    rowActionsCell(
      u.displayName,
      userPortalLinks(cloud, tenant.microsoft_tenant_id, u.userId),
      can(principal, 'technician') && !u.removedFromMicrosoft ? userLifecycleActions(tenant.id, u.userId) : [],
    );

  app.get(
    '/tenants',
    {
      config: { access: 'signedIn', page: true },
      schema: {
        querystring: Type.Object({
          ...PageQuery,
          state: Optional(Type.Union(TENANT_STATES.map((s) => Type.Literal(s)))),
          integrationId: Optional(Uuid),
          search: Type.Optional(Type.String({ maxLength: 200 })),
          ...CsvFormatQuery,
        }),
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const q = request.query;
      const filter = {
        state: (q.state || undefined) as (typeof TENANT_STATES)[number] | undefined,
        integrationId: (q.integrationId || undefined) as string | undefined,
        search: q.search || undefined,
        page: q.page,
        pageSize: q.pageSize,
      };
      if (wantsCsv(request))
        return sendCsv(
          reply,
          'tenants',
          ctx.clock.now(),
          TENANT_COLUMNS,
          async (page, pageSize) => (await listTenantMatches({ db }, { ...filter, page, pageSize })).items,
        );
      const deps = { db, secrets: ctx.secrets, clock: ctx.clock };
      const admin = can(principal, 'administrator');
      const [result, integrations, notices] = await Promise.all([
        listTenantMatches({ db }, filter),
        listIntegrations(deps),
        admin ? secretExpiryNotices(deps) : [],
      ]);
      const noTenants = result.total === 0 && !filter.state && !filter.search && !filter.integrationId;
      const body = html`<h1>Organizations ↔ tenants</h1>
        ${secretExpiryBanner(notices, principal)}
        <ul class="counts" aria-label="Tenants by state">
          ${TENANT_STATES.map((s) => html`<li><a href="/tenants?state=${s}">${badge('state', s)} ${result.counts[s]}</a></li>`)}
          <li><a href="/tenants">all</a></li>
        </ul>
        <form class="filters" method="get" action="/tenants" role="search">
          <div>
            <label for="f-search">Search</label
            ><input
              id="f-search"
              name="search"
              type="search"
              value="${filter.search ?? ''}"
              maxlength="200"
              placeholder="tenant, domain or organization"
            />
          </div>
          <div>
            <label for="f-state">State</label
            ><select id="f-state" name="state">
              <option value="">any</option>
              ${TENANT_STATES.map((s) => html`<option value="${s}" ${filter.state === s ? html` selected` : ''}>${s}</option>`)}
            </select>
          </div>
          <div>
            <label for="f-integration">Integration</label
            ><select id="f-integration" name="integrationId">
              <option value="">any</option>
              ${integrations.map(
                (i) => html`<option value="${i.id}" ${filter.integrationId === i.id ? html` selected` : ''}>${i.name}</option>`,
              )}
            </select>
          </div>
          <div><button type="submit">Filter</button></div>
          <div>
            <a href="${csvHref('/tenants', { state: filter.state, integrationId: filter.integrationId, search: filter.search })}"
              >Export as CSV</a
            >
          </div>
        </form>
        ${
          can(principal, 'technician') && result.counts.suggested > 0
            ? html`<form class="filters" data-api="POST /api/tenants/bulk-accept" data-done="Suggestions accepted.">
                <div>
                  <label for="bulk-score">Accept every top suggestion scoring at least</label
                  ><input
                    id="bulk-score"
                    name="minScore"
                    data-type="number"
                    type="number"
                    min="0"
                    max="1"
                    step="0.01"
                    value="0.90"
                    required
                  />
                </div>
                <div><button type="submit">Bulk accept</button></div>
              </form>`
            : ''
        }
        ${
          noTenants
            ? emptyState(
                'No customer tenants yet.',
                html`Add a GDAP or direct connection on the <a href="/integrations">Integrations</a> page, then start a sync: the tenants it
                  discovers appear here.`,
              )
            : result.items.length === 0
              ? emptyState('No tenant fits these filters.', html`<a href="/tenants">Clear the filters</a>.`)
              : html`<table class="tenants">
                    <caption class="visually-hidden">
                      Tenants and their organizations
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col">Tenant</th>
                        <th scope="col">State</th>
                        <th scope="col">Rule</th>
                        <th scope="col" class="num">Score</th>
                        <th scope="col">Organization / suggestions</th>
                        <th scope="col">Actions</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${result.items.map((t) => tenantRow(t, principal, request.url))}
                    </tbody>
                  </table>
                  ${pager('/tenants', { ...filter }, filter.page, filter.pageSize, result.total)}`
        }`;
      return sendPage(reply, 200, layout({ title: 'Organizations ↔ tenants', principal, section: 'tenants', body }));
    },
  );

  app.get(
    '/tenants/:id/contacts',
    {
      config: { access: 'signedIn', page: true },
      schema: {
        params: IdParams,
        querystring: UserListQuerySchema,
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const tenant = await getTenant(db, request.params.id);
      const filter = userListQuery(request.query);
      const context = { now: ctx.clock.now(), inactiveDays };
      const [groups, departments] = await Promise.all([tenantGroups(db, tenant.id), tenantDepartments(db, tenant.id)]);
      if (wantsCsv(request))
        return sendCsv(
          reply,
          'users',
          context.now,
          USER_COLUMNS,
          exportPages(filter, (q) => listTenantUsers(db, tenant.id, q, context)),
        );
      const list = userListControls({ tenantId: tenant.id, filter, groups, departments, inactiveDays });
      const [result, status] = await Promise.all([
        listTenantUsers(db, tenant.id, filter, context),
        tenantStatus(db, tenant, ctx.clock.now()),
      ]);
      const body = html`<h1>Contacts of ${name(tenant.display_name)}</h1>
        ${tenantTabs(tenant.id, 'contacts', principal, status, await tenantExtras(tenant))}
        <ul class="counts" aria-label="Users by decision">
          ${DECISIONS.filter((d) => result.counts[d]).map(
            (d) =>
              html`<li>
                <a href="${listHref(`/tenants/${tenant.id}/contacts`, list.query, { decision: d })}"
                  >${badge('state', d)} ${result.counts[d] ?? 0}</a
                >
              </li>`,
          )}
        </ul>
        ${searchFilters({
          id: 'c-search',
          value: filter.search,
          placeholder: 'name, UPN or mail',
          button: 'Filter',
          csv: { path: `/tenants/${tenant.id}/contacts`, query: list.csvQuery },
          extra: list.formExtra,
        })}
        ${list.active}
        ${
          result.total === 0
            ? list.filtered
              ? emptyState('No user fits these filters.', html`<a href="/tenants/${tenant.id}/contacts">Clear the filters</a>.`)
              : tenantEmptyState(status, 'users', 'users', {
                  title: 'The last sync found no users to document.',
                  next: html`Check what the integration syncs (guests, disabled accounts, domains, excluded groups) on the
                    <a href="/integrations/${tenant.integration_id}">integration's page</a>.`,
                })
            : html`<div class="table-scroll" role="region" aria-label="Users and their contacts" tabindex="0">
                  <table class="users">
                    <caption class="visually-hidden">
                      Users and their contacts
                    </caption>
                    <thead>
                      <tr>
                        ${list.header('name', 'User')} ${list.header('account', 'Account')} ${list.header('decision', 'Decision')}
                        ${list.header('rule', 'Rule')}
                        <th scope="col">Contact / candidates</th>
                        <th scope="col">Actions</th>
                        <th scope="col">Manage</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${result.items.map(
                        (u) =>
                          html`<tr id="${userRowAnchor(u.userId)}" data-user="${u.userId}">
                            <td>
                              <a href="/tenants/${tenant.id}/users/${encodeURIComponent(u.userId)}">${name(u.displayName)}</a>${mailboxMark(
                                u,
                              )}<br /><span class="muted">${u.userPrincipalName ?? ''}</span>
                            </td>
                            <td>
                              ${
                                u.accountEnabled === false
                                  ? badge('state', 'disabled')
                                  : u.removedFromMicrosoft
                                    ? 'no longer in Microsoft'
                                    : 'enabled'
                              }
                            </td>
                            <td>${badge('state', u.decision)}</td>
                            <td class="reason">${u.rule ?? '—'}${u.reason ? html`<br /><span class="muted">${u.reason}</span>` : ''}</td>
                            <td>
                              ${
                                u.contact
                                  ? html`${name(u.contact.name)} <span class="muted">${u.contact.emails[0] ?? ''}</span>`
                                  : u.candidates.length
                                    ? candidateList(u, tenant.id, principal, request.url)
                                    : '—'
                              }
                            </td>
                            <td>${decisionCell(u, tenant.id, principal, request.url)}</td>
                            ${userRowActions(tenant, u, principal)}
                          </tr>`,
                      )}
                    </tbody>
                  </table>
                </div>
                ${cursorPager({ path: `/tenants/${tenant.id}/contacts`, query: list.query, ...filter, ...result })}`
        }`;
      return sendPage(
        reply,
        200,
        layout({ title: `Contacts of ${tenant.display_name.slice(0, 80)}`, principal, section: 'tenants', body }),
      );
    },
  );

  app.get(
    '/tenants/:id/users/:userId',
    {
      config: { access: 'signedIn', page: true },
      schema: { params: Type.Object({ id: Uuid, userId: Type.String({ minLength: 1, maxLength: 200 }) }) },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const tenant = await getTenant(db, request.params.id);
      const [u, status, mfa] = await Promise.all([
        tenantUserDetail(db, ctx.clock, inactiveDays, tenant.id, request.params.userId),
        tenantStatus(db, tenant, ctx.clock.now()),
        userMfa(db, tenant.id, request.params.userId),
      ]);
      // Why a part of the overlay is missing, when the last sync says so (concealed reports, no Intune…).
      const unread = (resource: string, extra: string[] = []) => {
        const p = status.problems.find((x) => x.code.startsWith(`${resource}_`) || extra.includes(x.code));
        return p
          ? html`<span class="muted">not read in the last sync: ${p.message}${p.action ? html`. What to do: ${p.action}` : ''}</span>`
          : null;
      };
      const o = u.overlay;
      const body = html`<p><a href="/tenants/${tenant.id}/contacts">← Contacts of ${name(tenant.display_name)}</a></p>
        <h1>${name(u.displayName)}${mailboxMark(u)}</h1>
        ${manageInMicrosoftMenu(u.displayName, userPortalLinks(cloud, tenant.microsoft_tenant_id, request.params.userId))}
        <div class="grid2">
          <section aria-labelledby="overlay-title">
            <h2 id="overlay-title">Microsoft overlay</h2>
            <dl class="overlay">
              <dt>User principal name</dt>
              <dd>${o.userPrincipalName ?? '—'}</dd>
              <dt>Account</dt>
              <dd>
                ${o.accountEnabled === false ? badge('state', 'disabled') : o.accountEnabled ? 'enabled' : '—'}${
                  o.userType === 'Guest' ? ' (guest)' : ''
                }
              </dd>
              <dt>Department</dt>
              <dd>${u.department ?? html`<span class="muted">—</span>`}</dd>
              <dt>Job title</dt>
              <dd>${u.jobTitle ?? html`<span class="muted">—</span>`}</dd>
              <dt>Last sign-in</dt>
              <dd>
                ${
                  o.signInActivityAvailable
                    ? when(o.lastSignInAt, 'never signed in')
                    : html`<span class="muted">not available: needs Entra ID P1 in the tenant and the AuditLog.Read.All permission</span>`
                }
              </dd>
              <dt>MFA</dt>
              <dd>${mfaOverlay(tenant.id, mfa)}</dd>
              <dt>Activity</dt>
              <dd>${inactivityView(o.inactivity)}</dd>
              <dt>App activity</dt>
              <dd>
                ${o.appActivity ? appActivityView(o.appActivity) : (unread('activity', ['reports_concealed']) ?? appActivityView(null))}
              </dd>
              <dt>Last password change</dt>
              <dd>${when(o.lastPasswordChangeAt, 'unknown')}</dd>
              <dt>Licenses</dt>
              <dd>
                ${
                  o.licenses.length
                    ? html`<ul>
                        ${o.licenses.map((l) => html`<li>${l.name}</li>`)}
                      </ul>`
                    : 'none'
                }
              </dd>
              <dt>Mailbox</dt>
              <dd>
                ${
                  o.mailbox
                    ? html`${bytes(o.mailbox.storageUsedBytes)} used${o.mailbox.quotaBytes ? html` of ${bytes(o.mailbox.quotaBytes)}` : ''},
                      ${o.mailbox.itemCount ?? '—'} items, last activity
                      ${o.mailbox.lastActivityDate ?? 'unknown'}${o.mailbox.hasArchive ? ', archive on' : ''}`
                    : (unread('mailboxes', ['reports_concealed']) ?? html`<span class="muted">no mailbox in the usage report</span>`)
                }
              </dd>
              <dt>Devices</dt>
              <dd>
                ${
                  o.devices.length
                    ? html`<ul>
                        ${o.devices.map(
                          (d) =>
                            html`<li>
                              ${name(d.name)} — ${d.operatingSystem ?? ''}, ${d.complianceState ?? 'compliance unknown'}, last check-in
                              ${when(d.lastCheckInAt)}
                            </li>`,
                        )}
                      </ul>`
                    : (unread('devices') ?? 'none')
                }
              </dd>
            </dl>
          </section>
          <section aria-labelledby="decision-title">
            <h2 id="decision-title">Contact decision</h2>
            <p>
              ${badge('state', u.decision)} ${u.rule ? html`rule <strong>${u.rule}</strong>` : ''}
              ${u.reason ? html`<span class="muted">— ${u.reason}</span>` : ''}
            </p>
            <p>
              ${
                u.contact
                  ? html`Contact: <a href="${u.contact.url}">${name(u.contact.name)}</a>
                      <span class="muted">${u.contact.emails.join(', ')}</span>`
                  : u.candidates.length
                    ? 'Candidates:'
                    : 'No contact yet.'
              }
            </p>
            ${u.candidates.length ? candidateList(u, tenant.id, principal, request.url) : ''}
            ${decisionCell(u, tenant.id, principal, request.url)}
          </section>
        </div>
        ${
          can(principal, 'technician')
            ? html`<section aria-labelledby="actions-title">
                <h2 id="actions-title">Lifecycle actions</h2>
                <ul class="actions-menu">
                  ${(['offboard', 'password_rotation', 'license_reclaim'] as const).map(
                    (k) =>
                      html`<li>
                        <a href="/tenants/${tenant.id}/actions/new?kind=${k}&amp;userId=${encodeURIComponent(request.params.userId)}"
                          >${{ offboard: 'Offboard', password_rotation: 'Rotate password', license_reclaim: 'Reclaim licences' }[k]}</a
                        >
                      </li>`,
                  )}
                </ul>
              </section>`
            : ''
        }`;
      return sendPage(reply, 200, layout({ title: u.displayName.slice(0, 80), principal, section: 'tenants', body }));
    },
  );

  app.get(
    '/tenants/:id/configurations',
    {
      config: { access: 'signedIn', page: true },
      schema: {
        params: IdParams,
        querystring: DeviceListQuerySchema,
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const tenant = await getTenant(db, request.params.id);
      const filter = deviceListQuery(request.query);
      const context = { now: ctx.clock.now() };
      if (wantsCsv(request))
        return sendCsv(
          reply,
          'devices',
          context.now,
          DEVICE_COLUMNS,
          exportPages(filter, (q) => listTenantDevices(db, tenant.id, q, context)),
        );
      const [result, status, operatingSystems] = await Promise.all([
        listTenantDevices(db, tenant.id, filter, context),
        tenantStatus(db, tenant, ctx.clock.now()),
        tenantDeviceOperatingSystems(db, tenant.id),
      ]);
      const list = deviceListControls({ path: `/tenants/${tenant.id}/configurations`, filter, operatingSystems });
      const body = html`<h1>Configurations of ${name(tenant.display_name)}</h1>
        ${tenantTabs(tenant.id, 'configurations', principal, status, await tenantExtras(tenant))}
        ${searchFilters({
          id: 'd-search',
          value: filter.search,
          placeholder: 'device name or serial',
          button: 'Filter',
          csv: { path: `/tenants/${tenant.id}/configurations`, query: list.csvQuery },
          extra: list.formExtra,
        })}
        ${list.active}
        ${
          result.total === 0
            ? list.filtered
              ? emptyState('No device fits these filters.', html`<a href="/tenants/${tenant.id}/configurations">Clear the filters</a>.`)
              : tenantEmptyState(status, 'devices', 'Intune devices', {
                  title: 'This tenant has no Intune-managed devices.',
                  next:
                    'Devices enrolled in Intune appear here after the next sync, each with its configuration and the contact of its ' +
                    'primary user.',
                })
            : html`<div class="table-scroll" role="region" aria-label="Intune devices" tabindex="0">
                  <table>
                    <caption class="visually-hidden">
                      Intune devices
                    </caption>
                    <thead>
                      <tr>
                        ${list.header('name', 'Device')} ${list.header('serialNumber', 'Serial')} ${list.header('operatingSystem', 'OS')}
                        ${list.header('complianceState', 'Compliance')} ${list.header('lastCheckIn', 'Last check-in', 'desc')}
                        ${list.header('decision', 'Decision')}
                        <th scope="col">Configuration</th>
                        <th scope="col">Related contact</th>
                        <th scope="col">Manage</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${result.items.map(
                        (d) =>
                          html`<tr>
                            <td>${name(d.name)}<br /><span class="muted">${d.primaryUser ?? ''}</span></td>
                            <td>${d.serialNumber ?? '—'}</td>
                            <td>${d.operatingSystem ?? '—'}</td>
                            <td>${d.complianceState ?? '—'}</td>
                            <td>${when(d.lastCheckInAt)}</td>
                            <td>${badge('state', d.decision)} ${d.rule ?? ''}</td>
                            <td>${d.configuration ? name(d.configuration.name) : '—'}</td>
                            <td>${d.relatedContact ? name(d.relatedContact.name) : '—'}</td>
                            ${rowActionsCell(d.name, devicePortalLinks(cloud, tenant.microsoft_tenant_id, d.deviceId), [])}
                          </tr>`,
                      )}
                    </tbody>
                  </table>
                </div>
                ${cursorPager({ path: `/tenants/${tenant.id}/configurations`, query: list.query, ...filter, ...result })}`
        }`;
      return sendPage(
        reply,
        200,
        layout({ title: `Configurations of ${tenant.display_name.slice(0, 80)}`, principal, section: 'tenants', body }),
      );
    },
  );

  app.get('/tenants/:id/licenses', { config: { access: 'signedIn', page: true }, schema: { params: IdParams } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const tenant = await getTenant(db, request.params.id);
    const [l, status] = await Promise.all([
      tenantLicenses(db, ctx.clock, inactiveDays, tenant.id),
      tenantStatus(db, tenant, ctx.clock.now()),
    ]);
    const anyFree = l.skus.some((s) => s.free);
    const body = html`<h1>Licenses of ${name(tenant.display_name)}</h1>
      ${tenantTabs(tenant.id, 'licenses', principal, status, await tenantExtras(tenant))} ${licenseRefreshButton(tenant, principal, status)}
      ${
        l.skus.length === 0
          ? tenantEmptyState(status, 'licenses', 'licenses', {
              title: 'This tenant has no subscriptions.',
              next: 'Its subscribed licenses (SKUs) appear here after the next sync once it buys any.',
            })
          : html`<table>
              <caption>
                Subscribed licenses
              </caption>
              <thead>
                <tr>
                  <th scope="col">License</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">Bought</th>
                  <th scope="col" class="num">Assigned</th>
                  <th scope="col" class="num">Unused</th>
                </tr>
              </thead>
              <tbody>
                ${l.skus.map(
                  (s) =>
                    html`<tr${s.free ? html` class="free"` : ''}>
                      <td>
                        ${s.name}${s.partNumber ? html` <span class="muted">${s.partNumber}</span>` : ''}${
                          s.free ? html` <span class="badge state-skip">free or trial</span>` : ''
                        }
                      </td>
                      <td>${s.capabilityStatus ?? '—'}</td>
                      <td class="num">${s.total}</td>
                      <td class="num">${s.assigned}</td>
                      <td class="num">${s.available > 0 && !s.free ? html`<strong>${s.available}</strong>` : s.available}</td>
                    </tr>`,
                )}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Paid licenses${anyFree ? html` <span class="muted">(free and trial ones left out)</span>` : ''}</th>
                  <td></td>
                  <td class="num">${l.totals.total}</td>
                  <td class="num">${l.totals.assigned}</td>
                  <td class="num">${l.totals.available}</td>
                </tr>
              </tfoot>
            </table>`
      }
      ${
        l.disabledLicensedUsers.length
          ? html`<h2 id="disabled-licensed">Disabled accounts that still hold licenses</h2>
              <p>Nobody can use these licenses: remove or reassign them in the Microsoft 365 admin center.</p>
              <table>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Licenses</th>
                  </tr>
                </thead>
                <tbody>
                  ${l.disabledLicensedUsers.map(
                    (u) =>
                      html`<tr>
                        ${licensedUserCell(tenant.id, u)}
                        <td>${u.licenses.join(', ')}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
          : ''
      }
      ${
        !status.active || status.neverSynced
          ? ''
          : html`<h2>Licensed users inactive for ${l.inactiveDays} days</h2>
              <p class="muted">No sign-in, no activity in any Microsoft 365 service and no device check-in for that long.</p>
              ${
                l.inactiveLicensedUsers.length === 0
                  ? html`<p>None: every licensed user was seen within ${l.inactiveDays} days, as far as the readable sources tell.</p>`
                  : html`<table>
                      <thead>
                        <tr>
                          <th scope="col">User</th>
                          <th scope="col">Last seen</th>
                          <th scope="col">Licenses</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${l.inactiveLicensedUsers.map(
                          (u) =>
                            html`<tr>
                              ${licensedUserCell(tenant.id, u)}
                              <td>${u.lastSeenAt ? html`${when(u.lastSeenAt)} (${u.lastSeenBy ?? ''})` : 'never'}</td>
                              <td>${u.licenses.join(', ')}</td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>`
              }`
      }`;
    return sendPage(reply, 200, layout({ title: `Licenses of ${tenant.display_name.slice(0, 80)}`, principal, section: 'tenants', body }));
  });
};
