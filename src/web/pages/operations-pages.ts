// Integrations (settings, tenants' health, sync now) and sync runs (list, detail, live view).
import { excludedGroupsOfIntegration } from '../../reports/groups.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import {
  getIntegration,
  integrationTenants,
  listIntegrations,
  secretExpiryNotices,
  type IntegrationSummary,
  type TenantHealthRow,
} from '../services/integrations.ts';
import { tenantStatuses } from '../services/tenant-status.ts';
import { tenantsByIds } from '../../stores/tenants.ts';
import { listRuns, runDetail, type RunListPage, type RunView } from '../../stores/runs.ts';
import { requirePrincipal } from '../guards.ts';
import { html, name, when, type SafeHtml } from '../html.ts';
import { badge, can, day, emptyState, layout, pager, secretExpiryBanner } from './layout.ts';
import { sendPage } from './account-pages.ts';
import { AfterId, IdParams, PageQuery } from '../schemas.ts';
import { DAY_MS } from '../../time.ts';
import { csvHref, CsvFormatQuery, sendCsv, wantsCsv } from '../../docs/export.ts';
import { RUN_COLUMNS } from '../csv-columns.ts';
import { integrationActions } from '../../actions/integration-actions.ts';
import { ACTION_KINDS } from '../../actions/roles.ts';
import { ACTION_TITLES } from './action-pages.ts';
import { groupLogLines, LOG_LEVELS, type TenantLogGroup } from '../../stores/sync-log-view.ts';
import { LogFilterQuery, logFilter } from '../sync-log-query.ts';
import { integrationSetupSection } from './integration-setup.ts';
import { CALLBACK_PATH } from '../connect.ts';
import { oauthRedirectBase } from '../../config.ts';
import { portalCloud } from '../../microsoft/portal-links.ts';
import { createIntegrationStore } from '../../microsoft/integrations.ts';
import { fixLinks, fixLinksView } from './fix-links.ts';
import { testConnectionForm } from '../tenant-connection.ts';
import { cursorQuery, keysetCsvPages, RunCursorQuery } from '../run-list-paging.ts';
import { elapsedWords, runTenantStates, type RunTenantStates } from '../../sync/run-tenant-states.ts';

const KIND_LABEL: Record<string, string> = {
  gdap: 'GDAP (partner)',
  direct_delegated: 'Direct (delegated)',
  direct_app: 'Direct (application)',
};

function secretExpiry(i: IntegrationSummary, now: Date): SafeHtml {
  if (!i.hasClientSecret) return html`${badge('state', 'failed')} no client secret`;
  if (!i.clientSecretExpiresAt) return html`<span class="muted">expiry not recorded</span>`;
  const left = new Date(i.clientSecretExpiresAt).getTime() - now.getTime();
  const days = Math.ceil(left / DAY_MS);
  if (left <= 0) return html`${badge('state', 'failed')} expired on ${day(i.clientSecretExpiresAt)}`;
  if (days <= 30)
    return html`${badge('state', 'partial')} expires on ${day(i.clientSecretExpiresAt)} (in ${days} day${days === 1 ? '' : 's'})`;
  return html`expires on ${day(i.clientSecretExpiresAt)}`;
}

/** Delegated kinds sign in through Microsoft (src/web/connect.ts); app-only ones connect with their secret. */
function connectLink(i: IntegrationSummary, principal: Parameters<typeof can>[0]): SafeHtml | string {
  if (!can(principal, 'administrator') || i.kind === 'direct_app') return '';
  const label = i.status === 'connected' ? 'Reconnect' : 'Connect';
  return html`<a class="button secondary" href="/integrations/${i.id}/connect">${label}<span class="visually-hidden"> ${i.name}</span></a>`;
}

function runRow(r: RunView): SafeHtml {
  const pct = r.progress.total > 0 ? Math.round((100 * r.progress.done) / r.progress.total) : 0;
  return html`<tr>
    <td><a href="/sync-runs/${r.id}">${when(r.createdAt)}</a></td>
    <td>
      ${r.tenantName ? html`<a href="/sync-runs/${r.id}">${name(r.tenantName)}</a>` : name(r.integrationName ?? r.integrationId)}<br /><span
        class="muted"
        >${r.tenantName ? 'one tenant' : 'whole integration'}</span
      >
    </td>
    <td>${r.trigger}${r.requestedBy ? html` <span class="muted">by <bdi>${r.requestedBy}</bdi></span>` : ''}</td>
    <td>
      ${badge('state', r.status)}${
        r.status === 'running' ? html`<br /><progress max="100" value="${pct}" aria-label="Progress">${pct}%</progress>` : ''
      }
    </td>
    <td class="num">${r.counts.created}</td>
    <td class="num">${r.counts.updated}</td>
    <td class="num">${r.counts.unchanged}</td>
    <td class="num">${r.counts.flagged}</td>
    <td class="num">${r.counts.failed}</td>
    <td>${r.summary ?? ''}</td>
  </tr>`;
}

/** What a finished status means for the technician (the log below says what exactly). */
const STATUS_MEANING: Partial<Record<string, string>> = {
  partial:
    'Partial: what docsync could read was synced, but some data could not be read. The warnings in the log below say what was left out ' +
    'and what to do; the data read before is kept.',
  failed: 'Failed: nothing was changed where the sync failed. The errors in the log below say why and what to do.',
  cancelled: 'Cancelled: the run was stopped before it finished; nothing it had not reached was changed.',
};

const RUN_HEAD = html`<thead>
  <tr>
    <th scope="col">Requested</th>
    <th scope="col">What</th>
    <th scope="col">Trigger</th>
    <th scope="col">Status</th>
    <th scope="col" class="num">Created</th>
    <th scope="col" class="num">Updated</th>
    <th scope="col" class="num">Unchanged</th>
    <th scope="col" class="num">Flagged</th>
    <th scope="col" class="num">Failed</th>
    <th scope="col">Summary</th>
  </tr>
</thead>`;

export const operationsPageRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const deps = { db: ctx.database.db, secrets: ctx.secrets, clock: ctx.clock };
  const cloud = portalCloud(ctx.config.microsoft);

  /** Beside a log line's "what to do": links to where it is fixed (fix-links.ts), for the run's tenants. */
  async function logFixLinks(integrationId: string, tenantIds: string[]): Promise<LogFixFor> {
    const [integration, tenants] = await Promise.all([
      createIntegrationStore(deps)
        .get(integrationId)
        .catch(() => null),
      tenantsByIds(deps.db, tenantIds),
    ]);
    const byId = new Map(tenants.map((t) => [t.id, { microsoftTenantId: t.microsoft_tenant_id, accessKind: t.access_kind }]));
    return (code, tenantId) =>
      fixLinksView(
        fixLinks(code, {
          authorityHost: ctx.config.microsoft.authorityHost,
          cloud,
          integrationId,
          clientId: integration?.clientId ?? null,
          tenant: tenantId ? (byId.get(tenantId) ?? null) : null,
        }),
      );
  }

  app.get('/integrations', { config: { access: 'signedIn', page: true } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const [integrations, notices] = await Promise.all([listIntegrations(deps), secretExpiryNotices(deps)]);
    const now = ctx.clock.now();
    const admin = can(principal, 'administrator');
    const body = html`<h1>Integrations</h1>
      ${secretExpiryBanner(notices, principal)}
      ${
        integrations.length === 0
          ? emptyState(
              'No integration yet.',
              admin
                ? 'Register docsync in Entra (a multi-tenant app with a client secret), then add the connection below: GDAP for every ' +
                    'customer at once, or a direct connection to one tenant.'
                : 'Ask an administrator to add a GDAP or direct connection.',
            )
          : html`<table>
              <caption class="visually-hidden">
                Integrations
              </caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Status</th>
                  <th scope="col">Client secret</th>
                  <th scope="col" class="num">Tenants</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                ${integrations.map(
                  (i) =>
                    html`<tr>
                      <td><a href="/integrations/${i.id}">${name(i.name)}</a></td>
                      <td>${KIND_LABEL[i.kind] ?? i.kind}</td>
                      <td>
                        ${badge('integration', i.status)}${i.statusReason ? html`<br /><span class="muted">${i.statusReason}</span>` : ''}
                      </td>
                      <td>${secretExpiry(i, now)}</td>
                      <td class="num">
                        ${i.tenantCount}${i.failingTenants ? html`<br />${badge('health', 'failing')} ${i.failingTenants}` : ''}
                      </td>
                      <td>
                        ${
                          i.lastRun
                            ? html`<a href="/sync-runs/${i.lastRun.id}">${badge('state', i.lastRun.status)}</a>
                                ${when(i.lastRun.createdAt)}`
                            : html`<span class="muted">never</span>`
                        }
                      </td>
                      <td class="actions">
                        ${
                          can(principal, 'technician')
                            ? html`<button data-api="POST /api/integrations/${i.id}/sync" data-follow data-done="Sync queued.">
                                Sync now<span class="visually-hidden"> ${i.name}</span>
                              </button>`
                            : ''
                        }
                        ${connectLink(i, principal)}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      ${
        admin
          ? html`<h2>Add an integration</h2>
              <form class="stack" data-api="POST /api/integrations" data-done="Integration added.">
                <div>
                  <label for="i-kind">Kind</label
                  ><select id="i-kind" name="kind">
                    <option value="gdap">GDAP (partner: every customer tenant)</option>
                    <option value="direct_delegated">Direct, delegated (one tenant)</option>
                    <option value="direct_app">Direct, application permissions (one tenant)</option>
                  </select>
                </div>
                <div><label for="i-name">Name</label><input id="i-name" name="name" required maxlength="200" /></div>
                <div>
                  <label for="i-tenant">Tenant ID or domain (partner tenant for GDAP)</label
                  ><input id="i-tenant" name="tenantId" required maxlength="253" />
                </div>
                <div>
                  <label for="i-client">Application (client) ID</label><input id="i-client" name="clientId" required maxlength="64" />
                </div>
                <div>
                  <label for="i-secret">Client secret value</label
                  ><input id="i-secret" name="clientSecret" type="password" autocomplete="off" required maxlength="1024" />
                </div>
                <div>
                  <label for="i-expiry">Secret expires on (optional)</label
                  ><input id="i-expiry" name="clientSecretExpiresAt" type="date" data-optional />
                </div>
                <div><button type="submit">Add integration</button></div>
              </form>`
          : ''
      }`;
    return sendPage(reply, 200, layout({ title: 'Integrations', principal, section: 'integrations', body }));
  });

  /** Lifecycle actions of the integration: on or off, and per tenant (this page's) what its GDAP roles allow. */
  async function actionsSection(integrationId: string, admin: boolean, onThisPage: Set<string>): Promise<SafeHtml> {
    const view = await integrationActions(deps.db, integrationId, ctx.config.microsoft);
    const tenants = view.tenants.filter((t) => onThisPage.has(t.id));
    const toggle = html`<button
      data-api="POST /api/integrations/${integrationId}/actions"
      data-body="${JSON.stringify({ enabled: !view.enabled })}"
      data-done="${view.enabled ? 'Lifecycle actions disabled.' : 'Lifecycle actions enabled.'}"
      class="${view.enabled ? 'danger' : ''}"
    >
      ${view.enabled ? 'Disable lifecycle actions' : 'Enable lifecycle actions'}
    </button>`;
    return html`<h2 id="actions">Lifecycle actions</h2>
      <p>
        Lifecycle actions (onboarding, offboarding, licences, password rotation) are
        <strong>${view.enabled ? 'enabled' : 'disabled'}</strong> for this integration.
        ${admin ? toggle : html`<span class="muted">Only administrators enable or disable them.</span>`}
      </p>
      <p class="muted">
        They need the write permissions (${view.scopes.join(', ')}) consented in each customer tenant, and GDAP roles that allow them.
      </p>
      ${
        tenants.length === 0
          ? ''
          : html`<table>
              <caption class="visually-hidden">
                Actions each tenant's GDAP roles allow
              </caption>
              <thead>
                <tr>
                  <th scope="col">Tenant</th>
                  <th scope="col">Allowed by its roles</th>
                  <th scope="col">Not allowed</th>
                  <th scope="col">Write permissions</th>
                </tr>
              </thead>
              <tbody>
                ${tenants.map((t) => {
                  const allowed = ACTION_KINDS.filter((k) => t.allowed[k]);
                  const refused = ACTION_KINDS.filter((k) => !t.allowed[k]);
                  return html`<tr>
                    <td><a href="/tenants/${t.id}/actions">${name(t.displayName)}</a></td>
                    <td>${allowed.length ? allowed.map((k) => ACTION_TITLES[k]).join(', ') : html`<span class="muted">none</span>`}</td>
                    <td>${refused.length ? refused.map((k) => ACTION_TITLES[k]).join(', ') : html`<span class="muted">none</span>`}</td>
                    <td>
                      <a href="${t.consentUrl}" rel="noopener noreferrer" target="_blank"
                        >Grant admin consent<span class="visually-hidden"> for ${name(t.displayName)}</span></a
                      >
                    </td>
                  </tr>`;
                })}
              </tbody>
            </table>`
      }`;
  }

  app.get(
    '/integrations/:id',
    { config: { access: 'signedIn', page: true }, schema: { params: IdParams, querystring: Type.Object(PageQuery) } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const i = await getIntegration(deps, request.params.id);
      const tenants = await integrationTenants(deps.db, i.id, request.query.page, request.query.pageSize);
      const rows = await tenantsByIds(
        deps.db,
        tenants.items.map((t) => t.id),
      );
      const statuses = await tenantStatuses(deps.db, rows, ctx.clock.now());
      const rowById = new Map(rows.map((r) => [r.id, r]));
      // Beside each problem, where it is fixed: the admin consent link when consent is missing, Partner Center…
      const fixFor = (t: TenantHealthRow, code: string) => {
        const row = rowById.get(t.id);
        return fixLinksView(
          fixLinks(code, {
            authorityHost: ctx.config.microsoft.authorityHost,
            cloud,
            integrationId: i.id,
            clientId: i.clientId,
            tenant: row ? { microsoftTenantId: row.microsoft_tenant_id, accessKind: row.access_kind } : null,
          }),
        );
      };
      const whatToDo = (t: TenantHealthRow) => {
        const problems = statuses.get(t.id)?.problems ?? [];
        if (problems.length === 0) return t.health === 'unknown' ? html`<span class="muted">Not synced yet: use "Sync now".</span>` : '';
        return html`<ul class="todo">
            ${problems
              .slice(0, 3)
              .map((p) => html`<li>${p.message}${p.action ? html`<br /><strong>→ ${p.action}</strong>` : ''}${fixFor(t, p.code)}</li>`)}
          </ul>
          ${problems.length > 3 ? html`<a href="/tenants/${t.id}/contacts">${problems.length - 3} more</a>` : ''}`;
      };
      const admin = can(principal, 'administrator');
      const s = i.settings;
      const check = (field: string, label: string, on: boolean) =>
        html`<div>
          <label
            ><input type="checkbox" name="${field}" data-group="settings" ${on ? html` checked` : ''}${admin ? '' : html` disabled`} />
            ${label}</label
          >
        </div>`;
      const notices = (await secretExpiryNotices(deps)).filter((n) => n.integrationId === i.id);
      const excludedGroups = await excludedGroupsOfIntegration(deps.db, i.id, s.excludeGroupIds);
      // The same address the connect flow sends Microsoft (src/web/connect.ts).
      const redirectUri = `${oauthRedirectBase(ctx.config, request.socket.localPort)}${CALLBACK_PATH}`;
      const body = html`<p><a href="/integrations">← Integrations</a></p>
        <h1>${name(i.name)}</h1>
        ${secretExpiryBanner(notices, principal)}
        <p>
          ${KIND_LABEL[i.kind] ?? i.kind} · tenant <code>${i.tenantId}</code> · client <code>${i.clientId}</code> · status
          <strong>${i.status.replace('_', ' ')}</strong>${i.statusReason ? html` — ${i.statusReason}` : ''}
        </p>
        <p>Client secret: ${secretExpiry(i, ctx.clock.now())}</p>
        <p class="actions">
          ${
            can(principal, 'technician')
              ? html`<button data-api="POST /api/integrations/${i.id}/sync" data-follow data-done="Sync queued.">
                  Sync every tenant now
                </button>`
              : ''
          }
          ${connectLink(i, principal)}
        </p>
        ${integrationSetupSection({ kind: i.kind, redirectUri })}
        <h2>What to sync</h2>
        <form class="stack" data-api="PATCH /api/integrations/${i.id}" data-done="Settings saved.">
          <fieldset>
            <legend>Exclusions and options</legend>
            ${check('includeGuests', 'Include guest users', s.includeGuests)}
            ${check('includeDisabled', 'Include disabled accounts (shown as disabled)', s.includeDisabled)}
            ${check('autoCreate', 'Create contacts and configurations for new users and devices', s.autoCreate)}
            ${check('createOrganizations', 'Create an organization for an unmatched tenant', s.createOrganizations)}
            ${check('includeResourceMailboxes', 'Document rooms, equipment and shared mailboxes as contacts', s.includeResourceMailboxes)}
            <div>
              <label for="s-domains">Domains to sync (* = all; separate with commas)</label
              ><input
                id="s-domains"
                name="domains"
                data-type="list"
                data-group="settings"
                value="${s.domains.join(', ')}"
                ${admin ? '' : html` disabled`}
              />
            </div>
            <div>
              <p id="s-groups">Members of these groups are excluded (pick groups on a tenant's Groups page):</p>
              ${
                excludedGroups.length === 0
                  ? html`<p class="muted">No group is excluded.</p>`
                  : html`<ul aria-labelledby="s-groups">
                      ${excludedGroups.map(
                        (g) =>
                          html`<li>
                            ${
                              g.tenantId
                                ? html`<a href="/tenants/${g.tenantId}/groups">${name(g.displayName)}</a>
                                    <span class="muted">in ${name(g.tenantName)}</span>`
                                : html`<code>${g.groupId}</code> <span class="muted">(not among the synced groups)</span>`
                            }
                          </li>`,
                      )}
                    </ul>`
              }
            </div>
            <div>
              <label for="s-inactive"
                >Inactive after this many days without sign-in, app activity or device check-in (empty keeps it; the default is
                ${ctx.config.sync.inactiveDays})</label
              ><input
                id="s-inactive"
                name="inactiveDays"
                type="number"
                min="1"
                max="3650"
                data-type="number"
                data-optional
                data-group="settings"
                value="${s.inactiveDays ?? ''}"
                ${admin ? '' : html` disabled`}
              />
            </div>
            <div>
              <label for="s-schedule"
                >Schedule (five-field cron such as 0 2 * * * for 02:00 nightly; empty = the default ${ctx.config.sync.schedule})</label
              ><input
                id="s-schedule"
                name="schedule"
                data-group="settings"
                value="${s.schedule ?? ''}"
                maxlength="100"
                ${admin ? '' : html` disabled`}
              />
            </div>
          </fieldset>
          ${
            admin
              ? html`<fieldset>
                    <legend>Replace the client secret</legend>
                    <div>
                      <label for="s-secret">New client secret value (leave empty to keep the current one)</label
                      ><input id="s-secret" name="clientSecret" type="password" autocomplete="off" data-optional maxlength="1024" />
                    </div>
                    <div>
                      <label for="s-expiry">New secret expires on</label
                      ><input id="s-expiry" name="clientSecretExpiresAt" type="date" data-optional />
                    </div>
                  </fieldset>
                  <div><button type="submit">Save settings</button></div>`
              : html`<p class="muted">Only administrators change these settings.</p>`
          }
        </form>
        ${await actionsSection(i.id, admin, new Set(rows.map((r) => r.id)))}
        <h2>Tenants</h2>
        ${
          tenants.total === 0
            ? emptyState(
                'No tenants discovered yet.',
                'Connect the integration and run a sync: docsync then lists every customer tenant it may read.',
              )
            : html`<table class="integration-tenants">
                  <caption class="visually-hidden">
                    Tenants of this integration
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Tenant</th>
                      <th scope="col">Health</th>
                      <th scope="col">Relationship</th>
                      <th scope="col">Last sync</th>
                      <th scope="col">What to do</th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${tenants.items.map(
                      (t) =>
                        html`<tr>
                          <td><a href="/tenants/${t.id}/contacts">${name(t.displayName)}</a></td>
                          <td>${badge('health', t.health)}</td>
                          <td>
                            ${t.relationshipStatus ?? '—'}${
                              t.relationshipEndAt ? html`<br /><span class="muted">ends ${when(t.relationshipEndAt)}</span>` : ''
                            }
                          </td>
                          <td>${when(t.lastSyncAt)}</td>
                          <td>${whatToDo(t)}</td>
                          <td>
                            ${
                              can(principal, 'technician')
                                ? html`<button
                                      class="secondary"
                                      data-api="POST /api/tenants/${t.id}/sync"
                                      data-follow
                                      data-done="Sync queued."
                                    >
                                      Sync now<span class="visually-hidden"> ${t.displayName.slice(0, 200)}</span>
                                    </button>
                                    ${testConnectionForm(t.id, t.displayName, principal.csrfToken ?? '')}`
                                : ''
                            }
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
                ${pager(`/integrations/${i.id}`, {}, request.query.page, request.query.pageSize, tenants.total)}`
        }`;
      return sendPage(reply, 200, layout({ title: i.name.slice(0, 80), principal, section: 'integrations', body }));
    },
  );

  app.get(
    '/sync-runs',
    {
      config: { access: 'signedIn', page: true },
      schema: { querystring: Type.Object({ ...PageQuery, ...RunCursorQuery, ...CsvFormatQuery }) },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      if (wantsCsv(request)) return sendCsv(reply, 'sync-runs', ctx.clock.now(), RUN_COLUMNS, keysetCsvPages(deps.db, {}));
      const { page, pageSize, after, before } = request.query;
      const runs = await listRuns(deps.db, { page, pageSize, after, before });
      const body = html`<h1>Sync runs</h1>
        <p><a href="${csvHref('/sync-runs', {})}">Export as CSV</a></p>
        ${
          runs.total === 0
            ? emptyState(
                'No sync has run yet.',
                html`Start one with "Sync now" on the <a href="/integrations">Integrations</a> page; scheduled syncs run every hour.`,
              )
            : html`<table>
                  <caption class="visually-hidden">
                    Sync runs, newest first
                  </caption>
                  ${RUN_HEAD}
                  <tbody>
                    ${runs.items.map(runRow)}
                  </tbody>
                </table>
                ${keysetPager('/sync-runs', pageSize, runs)}`
        }`;
      return sendPage(reply, 200, layout({ title: 'Sync runs', principal, section: 'sync-runs', body }));
    },
  );

  app.get(
    '/sync-runs/:id',
    {
      config: { access: 'signedIn', page: true },
      schema: { params: IdParams, querystring: Type.Object({ ...LogFilterQuery, ...LogPageQuery }) },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const filter = logFilter(request.query);
      const { logAfter, logBefore } = request.query;
      // One line more than a page says whether there is another page that way (keyset by line id).
      const detail = await runDetail(deps.db, request.params.id, logAfter ?? null, LOG_PAGE_LINES + 1, filter, logBefore ?? null);
      const { run, tenants } = detail;
      const backwards = logAfter === undefined && logBefore !== undefined;
      const more = detail.log.length > LOG_PAGE_LINES;
      const log = backwards ? detail.log.slice(more ? 1 : 0) : detail.log.slice(0, LOG_PAGE_LINES);
      const earlierLines = log.length > 0 && (backwards ? more : logAfter !== undefined);
      const laterLines = log.length > 0 && (backwards ? true : more);
      // The filter offers every tenant of the run, also those with no line at the chosen level.
      const tenantChoices = new Map<string, string>();
      for (const t of tenants) if (t.tenantId) tenantChoices.set(t.tenantId, t.tenantName ?? t.tenantId);
      if (run.tenantId) tenantChoices.set(run.tenantId, run.tenantName ?? run.tenantId);
      for (const l of log) if (l.tenantId) tenantChoices.set(l.tenantId, l.tenantName ?? l.tenantId);
      const filtered = filter.level !== undefined || filter.tenantId !== undefined;
      const filterParams = new URLSearchParams({
        ...(filter.level ? { level: filter.level } : {}),
        ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
      });
      const earlierHref = earlierLines ? logPageHref(run.id, filterParams, 'logBefore', log[0]!.id) : '';
      const laterHref = laterLines ? logPageHref(run.id, filterParams, 'logAfter', log.at(-1)!.id) : '';
      const live = run.status === 'queued' || run.status === 'running';
      const fixFor = await logFixLinks(run.integrationId, [...new Set(log.map((l) => l.tenantId).filter((id) => id !== null))]);
      const body = html`<p>
          <a href="/sync-runs">← Sync runs</a>${
            run.parentRunId
              ? html` · <a href="/sync-runs/${run.parentRunId}">← the whole sync of ${name(run.integrationName ?? run.integrationId)}</a>`
              : ''
          }
        </p>
        <h1>Sync of ${name(run.tenantName ?? run.integrationName ?? run.integrationId)}</h1>
        <section
          ${
            live
              ? html`data-live-run="/api/sync-runs/${run.id}" data-log-after="${log.at(-1)?.id ?? ''}"
                data-log-filter="${filterParams.toString()}"`
              : ''
          }
          aria-label="Run status"
        >
          <p>
            Status: <strong data-field="status">${run.status}</strong> <span class="muted" data-field="phase">${run.phase ?? ''}</span> ·
            requested ${when(run.createdAt)} by ${run.requestedBy ?? run.trigger} · started
            <span data-field="startedAt">${when(run.startedAt, 'not yet')}</span> · finished
            <span data-field="finishedAt">${when(run.finishedAt, 'not yet')}</span>
          </p>
          ${
            live
              ? html`<p>
                  <label for="run-progress">Progress</label>
                  <progress id="run-progress" max="${Math.max(1, run.progress.total)}" value="${run.progress.done}">
                    ${run.progress.done} of ${run.progress.total}
                  </progress>
                  <span data-field="progress">${run.progress.done} of ${run.progress.total} tenants</span>
                </p>`
              : ''
          }
          ${
            run.status === 'queued'
              ? html`<p class="muted" data-when-queued>
                  Waiting for a worker to pick this run up: workers look for new runs every few seconds. If it stays queued, check that a
                  worker is running (<code>docsync worker</code>, or <code>docsync serve</code>/<code>demo</code> with its built-in worker).
                </p>`
              : ''
          }
          ${STATUS_MEANING[run.status] ? html`<p>${STATUS_MEANING[run.status]}</p>` : ''}
          <ul class="counts">
            <li>
              <span>created <strong data-field="created">${run.counts.created}</strong></span>
            </li>
            <li>
              <span>updated <strong data-field="updated">${run.counts.updated}</strong></span>
            </li>
            <li>
              <span>unchanged <strong data-field="unchanged">${run.counts.unchanged}</strong></span>
            </li>
            <li>
              <span>flagged <strong data-field="flagged">${run.counts.flagged}</strong></span>
            </li>
            <li>
              <span>failed <strong data-field="failed">${run.counts.failed}</strong></span>
            </li>
            <li>
              <span>Graph requests <strong data-field="graphRequests">${run.counts.graphRequests}</strong></span>
            </li>
            <li>
              <span>throttled <strong data-field="throttled">${run.counts.throttled}</strong></span>
            </li>
          </ul>
          ${run.summary ? html`<p>${run.summary}</p>` : ''}
        </section>
        ${tenants.length ? liveTenantsSection(runTenantStates(tenants, ctx.clock.now()), live) : ''}
        <h2 id="log">Log</h2>
        <form class="filters" method="get" action="/sync-runs/${run.id}#log" aria-label="Filter the log">
          <div>
            <label for="log-level">Level</label
            ><select id="log-level" name="level">
              <option value="">every level</option>
              ${LOG_LEVELS.map(
                (level) => html`<option value="${level}" ${filter.level === level ? html` selected` : ''}>${level}</option>`,
              )}
            </select>
          </div>
          <div>
            <label for="log-tenant">Tenant</label
            ><select id="log-tenant" name="tenantId">
              <option value="">every tenant</option>
              ${[...tenantChoices]
                .sort((a, b) => a[1].localeCompare(b[1], undefined, { sensitivity: 'base' }))
                .map(
                  ([id, label]) =>
                    html`<option value="${id}" ${filter.tenantId === id ? html` selected` : ''}>${label.slice(0, 200)}</option>`,
                )}
            </select>
          </div>
          <div><button type="submit">Filter</button>${filtered ? html` <a href="/sync-runs/${run.id}#log">Show every line</a>` : ''}</div>
        </form>
        ${groupLogLines(log).map((group, index) => logGroup(group, index, fixFor))}
        ${
          live
            ? html`<h3>New lines</h3>
                <table class="sync-log">
                  <caption class="visually-hidden">
                    Log lines written since this page opened
                  </caption>
                  ${LOG_HEAD}
                  <tbody data-log></tbody>
                </table>`
            : ''
        }
        ${log.length === 0 && !live ? html`<p class="muted">${filtered ? 'No log lines match this filter.' : 'No log lines.'}</p>` : ''}
        ${
          earlierLines || laterLines
            ? html`<nav class="pager" aria-label="Log pages">
                ${earlierLines ? html`<a href="${earlierHref}" rel="prev">← Earlier lines</a>` : ''}<span
                  >${LOG_PAGE_LINES} lines a page</span
                >${laterLines ? html`<a href="${laterHref}" rel="next">Later lines →</a>` : ''}
              </nav>`
            : ''
        }`;
      // Without script the page reloads itself while the run is live; app.js polls the API instead.
      const head = live ? html`<noscript><meta http-equiv="refresh" content="${NO_SCRIPT_REFRESH_SECONDS}" /></noscript>` : undefined;
      return sendPage(reply, 200, layout({ title: 'Sync run', principal, section: 'sync-runs', body, ...(head ? { head } : {}) }));
    },
  );
};

/** Newer / older links of a keyset-paged list; the default page size stays out of the links. */
function keysetPager(path: string, pageSize: number, list: Pick<RunListPage, 'total' | 'nextAfter' | 'previousBefore'>): SafeHtml {
  const size = pageSize === 50 ? {} : { pageSize };
  return html`<nav class="pager" aria-label="Pages">
    ${list.previousBefore ? html`<a href="${path}?${cursorQuery(size, { before: list.previousBefore })}" rel="prev">← Newer</a>` : ''}<span
      >${list.total} in all</span
    >${list.nextAfter ? html`<a href="${path}?${cursorQuery(size, { after: list.nextAfter })}" rel="next">Older →</a>` : ''}
  </nav>`;
}

const LOG_PAGE_LINES = 1000;

type LogFixFor = (code: string, tenantId: string | null) => SafeHtml | '';
const LogPageQuery = {
  logAfter: Type.Optional({ ...AfterId, description: 'The log lines after this line id (the next page)' }),
  logBefore: Type.Optional({ ...AfterId, description: 'The log lines before this line id (the page before)' }),
};

function logPageHref(runId: string, filter: URLSearchParams, key: 'logAfter' | 'logBefore', lineId: string): string {
  const params = new URLSearchParams(filter);
  params.set(key, lineId);
  return `/sync-runs/${runId}?${params.toString()}#log`;
}
const NO_SCRIPT_REFRESH_SECONDS = 10;
/** Waiting tenants named on the page; the rest are counted ("and 940 more"). */
const WAITING_NAMED = 100;

/**
 * The tenants of an integration run by where they stand: running now (name, started, phase,
 * elapsed), done (the outcome and counts) and waiting. app.js re-renders this section from the
 * page itself when the API says the set changed (data-live-tenants), so it has one renderer.
 */
function liveTenantsSection(states: RunTenantStates, live: boolean): SafeHtml {
  const { running, done, waiting, counts } = states;
  return html`<section data-live-tenants aria-labelledby="tenants-heading">
    <h2 id="tenants-heading">Tenants</h2>
    <p data-tenant-counts="${counts.running}/${counts.done}/${counts.waiting}">
      ${counts.running} running · ${counts.done} done · ${counts.waiting} waiting
    </p>
    ${
      running.length
        ? html`<h3>Running now</h3>
            <div class="table-scroll" role="region" aria-label="Tenants running now" tabindex="0">
              <table>
                <caption class="visually-hidden">
                  Tenants running now, the longest-running first
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Tenant</th>
                    <th scope="col">Started</th>
                    <th scope="col">Phase</th>
                    <th scope="col" class="num">Elapsed</th>
                  </tr>
                </thead>
                <tbody>
                  ${running.map(
                    (t) =>
                      html`<tr data-running-run="${t.runId}" data-phase="${t.phase ?? ''}">
                        <td><a href="/sync-runs/${t.runId}">${name(t.tenantName ?? t.tenantId ?? t.runId)}</a></td>
                        <td>${when(t.startedAt, 'starting')}</td>
                        <td>${t.phase ?? html`<span class="muted">not known yet</span>`}</td>
                        <td class="num" data-elapsed>${elapsedWords(t.elapsedSeconds)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        : live
          ? html`<p class="muted">No tenant is running at this moment.</p>`
          : ''
    }
    ${
      done.length
        ? html`${live ? html`<h3>Done</h3>` : ''}
            <div class="table-scroll" role="region" aria-label="Per-tenant runs" tabindex="0">
              <table>
                <caption class="visually-hidden">
                  Per-tenant runs
                </caption>
                ${RUN_HEAD}
                <tbody>
                  ${done.map(runRow)}
                </tbody>
              </table>
            </div>`
        : ''
    }
    ${
      waiting.length
        ? html`<h3>Waiting</h3>
            <ul class="waiting-tenants">
              ${waiting.slice(0, WAITING_NAMED).map((t) => html`<li>${name(t.tenantName ?? t.tenantId ?? t.id)}</li>`)}
            </ul>
            ${waiting.length > WAITING_NAMED ? html`<p class="muted">and ${waiting.length - WAITING_NAMED} more</p>` : ''}`
        : ''
    }
  </section>`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const LOG_HEAD = html`<thead>
  <tr>
    <th scope="col">Time</th>
    <th scope="col">Level</th>
    <th scope="col">Code</th>
    <th scope="col">Message</th>
    <th scope="col">What to do</th>
  </tr>
</thead>`;

/** One tenant's lines under its heading (the integration's own lines first); a repeated line shows "×N". */
function logGroup(group: TenantLogGroup, index: number, fixFor: LogFixFor): SafeHtml {
  const title = group.tenantId === null ? 'The whole sync' : name(group.tenantName ?? group.tenantId);
  return html`<section class="log-group" aria-labelledby="log-group-${index}">
    <h3 id="log-group-${index}">
      ${title}
      <span class="muted"
        >(${plural(
          group.lines.reduce((n, l) => n + l.repeats, 0),
          'line',
        )})</span
      >
    </h3>
    <table class="sync-log">
      <caption class="visually-hidden">
        Log lines of ${group.tenantId === null ? 'the whole sync' : (group.tenantName ?? group.tenantId).slice(0, 80)}
      </caption>
      ${LOG_HEAD}
      <tbody>
        ${group.lines.map(
          (l) =>
            html`<tr class="level-${l.level}">
              <td>${l.at.slice(11, 19)}</td>
              <td>${l.level}</td>
              <td><code>${l.code}</code></td>
              <td>
                ${l.message}${
                  l.repeats > 1
                    ? html` <span class="badge repeats" title="${l.repeats} identical lines, the first at this time">×${l.repeats}</span>`
                    : ''
                }
              </td>
              <td>${l.action ?? ''}${fixFor(l.code, group.tenantId)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
