// Organization pages: the list (search, sort, counts) and one organization's documentation —
// overview (tenants and their health, domains, licenses, last sync, review queue), contacts with
// the Microsoft overlay columns, configurations — with add and edit by hand. Fields Microsoft
// fills are shown as such and are read-only while the record is linked.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import type { Principal } from '../../auth/roles.ts';
import {
  listOrganizationConfigurations,
  listOrganizationContacts,
  listOrganizations,
  ORGANIZATION_SORTS,
  organizationDetail,
  type ConfigurationRow,
  type ContactRow,
  type OrganizationDetail,
  type OrganizationSort,
} from '../../docs/organization-directory.ts';
import { requirePrincipal } from '../guards.ts';
import { html, name, when, type SafeHtml } from '../html.ts';
import { searchFilters } from './list-views.ts';
import { groupDepartmentFilters } from './group-department-filters.ts';
import { GroupDepartmentQuery, groupDepartmentFilter } from '../group-department-query.ts';
import { organizationGroupsAndDepartments } from '../../stores/organization-directory.ts';
import { cursorPager } from './list-controls.ts';
import { deviceListControls } from './tenant-list-controls.ts';
import { ConfigurationListQuerySchema, configurationListQuery, exportPages } from '../tenant-list-query.ts';
import { organizationOperatingSystems } from '../../stores/organization-configurations.ts';
import { badge, can, emptyState, layout, pager } from './layout.ts';
import { sendPage } from './account-pages.ts';
import { IdParams, PageQuery } from '../schemas.ts';
import { csvHref, CsvFormatQuery, sendCsv, wantsCsv } from '../../docs/export.ts';
import { CONFIGURATION_COLUMNS, CONTACT_COLUMNS, ORGANIZATION_COLUMNS } from '../csv-columns.ts';
import { portalCloud, tenantPortalLinks, type PortalCloud } from '../../microsoft/portal-links.ts';
import { rowActionsCell } from './row-actions.ts';

const ListQuery = Type.Object({ ...PageQuery, search: Type.Optional(Type.String({ maxLength: 200 })), ...CsvFormatQuery });
const ContactListQuery = Type.Object({ ...ListQuery.properties, ...GroupDepartmentQuery });
const SORT_COLUMNS: Array<{ key: string; label: string; numeric: boolean }> = [
  { key: 'name', label: 'Organization', numeric: false },
  { key: 'tenants', label: 'Tenants', numeric: true },
  { key: 'contacts', label: 'Contacts', numeric: true },
  { key: 'configurations', label: 'Configurations', numeric: true },
  { key: 'lastSync', label: 'Last sync', numeric: false },
];

const fullName = (c: Pick<ContactRow, 'firstName' | 'lastName'>) => [c.firstName, c.lastName].filter(Boolean).join(' ') || '(no name)';

function organizationTabs(org: { id: string; name: string }, current: 'overview' | 'contacts' | 'configurations'): SafeHtml {
  const tab = (key: typeof current, label: string, href: string) =>
    html`<li><a href="${href}" ${key === current ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<p><a href="/organizations">← Organizations</a></p>
    <h1>${name(org.name)}</h1>
    <p><a href="/organizations/${org.id}/trends">Trends: users, inactivity and licence waste over time</a></p>
    <nav aria-label="Organization">
      <ul class="tabs">
        ${tab('overview', 'Overview', `/organizations/${org.id}`)}${tab('contacts', 'Contacts', `/organizations/${org.id}/contacts`)}${tab(
          'configurations',
          'Configurations',
          `/organizations/${org.id}/configurations`,
        )}
      </ul>
    </nav>`;
}

/** One editable text field; Microsoft's fields of a linked record are shown, not editable. */
function field(
  id: string,
  label: string,
  fieldName: string,
  value: string | null,
  options: { readOnly?: boolean; list?: boolean; multiline?: boolean; max?: number } = {},
): SafeHtml {
  if (options.readOnly)
    return html`<div>
      <span class="label">${label}</span> <span>${value || '—'}</span> <span class="from-microsoft">from Microsoft</span>
    </div>`;
  const control = options.multiline
    ? html`<textarea id="${id}" name="${fieldName}" rows="3" maxlength="${options.max ?? 10000}">${value ?? ''}</textarea>`
    : html`<input
        id="${id}"
        name="${fieldName}"
        value="${value ?? ''}"
        maxlength="${options.max ?? 200}"
        ${options.list ? html` data-type="list"` : ''}
      />`;
  return html`<div><label for="${id}">${label}</label>${control}</div>`;
}

function contactForm(c: ContactRow | null, organizationId: string): SafeHtml {
  const key = c ? c.id : 'new';
  const linked = c?.linkedToMicrosoft ?? false;
  const api = c ? `PATCH /api/contacts/${c.id}` : `POST /api/organizations/${organizationId}/contacts`;
  return html`<form class="stack edit" data-api="${api}" data-done="${c ? 'Contact saved.' : 'Contact added.'}">
    ${
      linked
        ? html`<p class="muted small">
            Linked to a Microsoft user: names, title, phone and emails come from Microsoft (change them there). Notes, extension and tags
            are docsync's and no sync changes them.
          </p>`
        : ''
    }
    ${field(`c-${key}-first`, 'First name', 'firstName', c?.firstName ?? null, { readOnly: linked })}
    ${field(`c-${key}-last`, 'Last name', 'lastName', c?.lastName ?? null, { readOnly: linked })}
    ${field(`c-${key}-title`, 'Title', 'title', c?.title ?? null, { readOnly: linked })}
    ${field(`c-${key}-phone`, 'Phone', 'phone', c?.phone ?? null, { readOnly: linked, max: 60 })}
    ${
      linked
        ? field(`c-${key}-emails`, 'Emails', 'emails', (c?.emails ?? []).join(', '), { readOnly: true })
        : field(`c-${key}-emails`, 'Emails (separate with commas)', 'emails', (c?.emails ?? []).join(', '), {
            list: true,
            max: 4000,
          })
    }
    ${field(`c-${key}-ext`, 'Phone extension', 'phoneExtension', c?.phoneExtension ?? null, { max: 20 })}
    ${field(`c-${key}-tags`, 'Tags (separate with commas)', 'tags', (c?.tags ?? []).join(', '), { list: true, max: 2000 })}
    ${field(`c-${key}-notes`, 'Notes', 'notes', c?.notes ?? null, { multiline: true })}
    <div>
      <button type="submit">
        ${c ? 'Save' : 'Add contact'}<span class="visually-hidden"> ${c ? fullName(c).slice(0, 100) : ''}</span>
      </button>
    </div>
  </form>`;
}

function configurationForm(g: ConfigurationRow | null, organizationId: string): SafeHtml {
  const key = g ? g.id : 'new';
  const linked = g?.linkedToMicrosoft ?? false;
  const api = g ? `PATCH /api/configurations/${g.id}` : `POST /api/organizations/${organizationId}/configurations`;
  return html`<form class="stack edit" data-api="${api}" data-done="${g ? 'Configuration saved.' : 'Configuration added.'}">
    ${
      linked
        ? html`<p class="muted small">
            Linked to an Intune device: name, serial number, manufacturer and model come from Intune. Notes and tags are docsync's and no
            sync changes them.
          </p>`
        : ''
    }
    ${field(`g-${key}-name`, 'Name', 'name', g?.name ?? null, { readOnly: linked })}
    ${field(`g-${key}-serial`, 'Serial number', 'serialNumber', g?.serialNumber ?? null, { readOnly: linked })}
    ${field(`g-${key}-make`, 'Manufacturer', 'manufacturer', g?.manufacturer ?? null, { readOnly: linked })}
    ${field(`g-${key}-model`, 'Model', 'model', g?.model ?? null, { readOnly: linked })}
    ${field(`g-${key}-tags`, 'Tags (separate with commas)', 'tags', (g?.tags ?? []).join(', '), { list: true, max: 2000 })}
    ${field(`g-${key}-notes`, 'Notes', 'notes', g?.notes ?? null, { multiline: true })}
    <div>
      <button type="submit">
        ${g ? 'Save' : 'Add configuration'}<span class="visually-hidden"> ${g ? g.name.slice(0, 100) : ''}</span>
      </button>
    </div>
  </form>`;
}

const tagList = (tags: string[]) =>
  tags.length
    ? html`<ul class="tags">
        ${tags.map((t) => html`<li>${t}</li>`)}
      </ul>`
    : '';

function overview(d: OrganizationDetail, cloud: PortalCloud): SafeHtml {
  const paid = d.licenses.filter((l) => !l.free);
  return html`<dl class="overlay summary">
      <dt>Domains</dt>
      <dd>${d.domains.length ? d.domains.join(', ') : html`<span class="muted">none</span>`}</dd>
      <dt>Last sync</dt>
      <dd>${when(d.lastSyncAt)}</dd>
      <dt>Contacts</dt>
      <dd>
        <a href="/organizations/${d.id}/contacts">${d.counts.contacts}</a>
        <span class="muted">(${d.counts.contactsInMicrosoft} linked to Microsoft users)</span>
      </dd>
      <dt>Configurations</dt>
      <dd><a href="/organizations/${d.id}/configurations">${d.counts.configurations}</a></dd>
      <dt>Created</dt>
      <dd>${when(d.createdAt)}</dd>
    </dl>
    <h2>Tenants</h2>
    ${
      d.tenants.length === 0
        ? emptyState(
            'No tenant is matched to this organization.',
            html`Match one on the <a href="/tenants">tenants</a> page: its users and devices are then documented here.`,
          )
        : html`<table>
            <caption class="visually-hidden">
              Tenants of this organization
            </caption>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Health</th>
                <th scope="col">Last sync</th>
                <th scope="col">What to do</th>
                <th scope="col">Manage</th>
              </tr>
            </thead>
            <tbody>
              ${d.tenants.map(
                (t) =>
                  html`<tr>
                    <td>
                      <a href="/tenants/${t.id}/contacts">${name(t.displayName)}</a><br /><span class="muted"
                        >${t.defaultDomain ?? ''} · ${t.integrationName}</span
                      >
                    </td>
                    <td>${badge('health', t.health)}${t.active ? '' : html`<br /><span class="muted">not readable</span>`}</td>
                    <td>${when(t.lastSyncAt)}</td>
                    <td>
                      ${
                        t.problems.length
                          ? html`<ul class="todo">
                              ${t.problems
                                .slice(0, 3)
                                .map((p) => html`<li>${p.message}${p.action ? html`<br /><strong>→ ${p.action}</strong>` : ''}</li>`)}
                            </ul>`
                          : html`<span class="muted">nothing</span>`
                      }
                    </td>
                    ${rowActionsCell(t.displayName, tenantPortalLinks(cloud, { microsoftTenantId: t.tenantId, accessKind: t.accessKind }), [
                      { label: 'Contacts', href: `/tenants/${t.id}/contacts` },
                      { label: 'Configurations', href: `/tenants/${t.id}/configurations` },
                      { label: 'Licenses', href: `/tenants/${t.id}/licenses` },
                      { label: 'Lifecycle actions', href: `/tenants/${t.id}/actions` },
                    ])}
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    <h2>Review queue</h2>
    ${
      d.reviews.length === 0
        ? html`<p>Nothing waits for review.</p>`
        : html`<table>
            <caption class="visually-hidden">
              Users and devices waiting for review
            </caption>
            <thead>
              <tr>
                <th scope="col">User or device</th>
                <th scope="col">Kind</th>
                <th scope="col" class="num">Candidates</th>
              </tr>
            </thead>
            <tbody>
              ${d.reviews.map(
                (r) =>
                  html`<tr>
                    <td><a href="${r.url}">${name(r.label)}</a></td>
                    <td>${r.kind === 'contact' ? 'user' : 'device'}</td>
                    <td class="num">${r.candidates}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    <h2>Licenses</h2>
    ${
      paid.length === 0
        ? html`<p class="muted">No paid license in its tenants.</p>`
        : html`<table>
            <caption class="visually-hidden">
              Paid licenses of its tenants
            </caption>
            <thead>
              <tr>
                <th scope="col">License</th>
                <th scope="col" class="num">Bought</th>
                <th scope="col" class="num">Assigned</th>
                <th scope="col" class="num">Unused</th>
              </tr>
            </thead>
            <tbody>
              ${paid.map(
                (l) =>
                  html`<tr>
                    <td>${l.name}</td>
                    <td class="num">${l.total}</td>
                    <td class="num">${l.assigned}</td>
                    <td class="num">${l.available > 0 ? html`<strong>${l.available}</strong>` : l.available}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}

function contactsTable(items: ContactRow[], organizationId: string, principal: Principal): SafeHtml {
  const technician = can(principal, 'technician');
  return html`<table class="contacts">
    <caption class="visually-hidden">
      Contacts
    </caption>
    <thead>
      <tr>
        <th scope="col">Contact</th>
        <th scope="col">Emails and phone</th>
        <th scope="col">Account</th>
        <th scope="col">Last sign-in</th>
        <th scope="col">Licenses</th>
        <th scope="col">docsync notes</th>
      </tr>
    </thead>
    <tbody>
      ${items.map(
        (c) =>
          html`<tr data-contact="${c.id}">
            <td>
              ${name(fullName(c))}${c.title ? html`<br /><span class="muted">${c.title}</span>` : ''}<br />${
                c.linkedToMicrosoft
                  ? html`<span class="badge state-match">Microsoft</span>${
                        c.tenantId && c.microsoftUserId
                          ? html` <a href="/tenants/${c.tenantId}/users/${encodeURIComponent(c.microsoftUserId)}">overlay</a>`
                          : ''
                      }`
                  : c.microsoftUserId
                    ? html`<span class="badge state-skip">no longer in Microsoft</span>`
                    : html`<span class="badge state-pending">docsync only</span>`
              }
            </td>
            <td>
              ${
                c.emails.length
                  ? html`<ul class="plain">
                      ${c.emails.map((e) => html`<li>${e}</li>`)}
                    </ul>`
                  : html`<span class="muted">no email</span>`
              }${
                c.phone
                  ? html`<span>${c.phone}${c.phoneExtension ? html` ext. ${c.phoneExtension}` : ''}</span>`
                  : c.phoneExtension
                    ? html`<span>ext. ${c.phoneExtension}</span>`
                    : ''
              }
            </td>
            <td>
              ${c.accountEnabled === false ? badge('state', 'disabled') : c.accountEnabled ? 'enabled' : html`<span class="muted">—</span>`}
            </td>
            <td>${c.linkedToMicrosoft ? when(c.lastSignInAt, 'unknown') : html`<span class="muted">—</span>`}</td>
            <td>${c.licenses.length ? c.licenses.join(', ') : html`<span class="muted">none</span>`}</td>
            <td>
              ${tagList(c.tags)}${c.notes ? html`<p class="note">${c.notes.slice(0, 300)}${c.notes.length > 300 ? '…' : ''}</p>` : ''}${
                technician
                  ? html`<details>
                      <summary>Edit<span class="visually-hidden"> ${fullName(c).slice(0, 100)}</span></summary>
                      ${contactForm(c, organizationId)}
                    </details>`
                  : ''
              }
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** `header`, when given, renders a sortable column's header cell (list-controls.ts). */
function configurationsTable(
  items: ConfigurationRow[],
  organizationId: string,
  principal: Principal,
  header: (field: string, label: string, firstOrder?: 'asc' | 'desc') => SafeHtml = (_field, label) => html`<th scope="col">${label}</th>`,
): SafeHtml {
  const technician = can(principal, 'technician');
  return html`<table>
    <caption class="visually-hidden">
      Configurations
    </caption>
    <thead>
      <tr>
        ${header('name', 'Configuration')} ${header('serialNumber', 'Serial')} ${header('operatingSystem', 'OS')}
        ${header('complianceState', 'Compliance')} ${header('lastCheckIn', 'Last check-in', 'desc')} ${header('contact', 'Contact')}
        <th scope="col">docsync notes</th>
      </tr>
    </thead>
    <tbody>
      ${items.map(
        (g) =>
          html`<tr data-configuration="${g.id}">
            <td>
              ${name(g.name)}<br />${
                g.linkedToMicrosoft
                  ? html`<span class="badge state-match">Intune</span>`
                  : g.intuneDeviceId
                    ? html`<span class="badge state-skip">no longer in Intune</span>`
                    : html`<span class="badge state-pending">docsync only</span>`
              }${
                g.manufacturer || g.model
                  ? html`<br /><span class="muted">${[g.manufacturer, g.model].filter(Boolean).join(' ')}</span>`
                  : ''
              }
            </td>
            <td>${g.serialNumber ?? '—'}</td>
            <td>${g.operatingSystem ?? '—'}</td>
            <td>${g.complianceState ?? '—'}</td>
            <td>${when(g.lastCheckInAt)}</td>
            <td>${g.contact ? name(g.contact.name) : '—'}</td>
            <td>
              ${tagList(g.tags)}${g.notes ? html`<p class="note">${g.notes.slice(0, 300)}${g.notes.length > 300 ? '…' : ''}</p>` : ''}${
                technician
                  ? html`<details>
                      <summary>Edit<span class="visually-hidden"> ${g.name.slice(0, 100)}</span></summary>
                      ${configurationForm(g, organizationId)}
                    </details>`
                  : ''
              }
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/**
 * One organization's contacts or configurations: the tabs, the filter bar, the "add" form for
 * technicians, then the table and pager, or an empty state that says whether the filters or the
 * documentation are empty.
 */
function documentationList(o: {
  detail: OrganizationDetail;
  tab: 'contacts' | 'configurations';
  principal: Principal;
  /** Whether filters are in force (an empty list then offers to show everything). */
  filtered: boolean;
  filters: SafeHtml;
  add: { label: string; form: SafeHtml };
  noMatch: string;
  showAll: string;
  empty: { title: string; fromTenants: string };
  total: number;
  table: () => SafeHtml;
  /** Paging links under the table (they repeat the filters). */
  pager: SafeHtml;
}): SafeHtml {
  const path = `/organizations/${o.detail.id}/${o.tab}`;
  return html`${organizationTabs(o.detail, o.tab)} ${o.filters}
  ${
    can(o.principal, 'technician')
      ? html`<details class="add">
          <summary>${o.add.label}</summary>
          ${o.add.form}
        </details>`
      : ''
  }
  ${
    o.total === 0
      ? o.filtered
        ? emptyState(o.noMatch, html`<a href="${path}">${o.showAll}</a>.`)
        : emptyState(
            o.empty.title,
            o.detail.tenants.length ? o.empty.fromTenants : 'Add one by hand, or match a tenant to this organization.',
          )
      : html`${o.table()}${o.pager}`
  }`;
}

export const organizationPageRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;

  app.get(
    '/organizations',
    {
      config: { access: 'signedIn', page: true },
      schema: {
        querystring: Type.Object({
          ...PageQuery,
          search: Type.Optional(Type.String({ maxLength: 200 })),
          sort: Type.Union(
            ORGANIZATION_SORTS.map((s) => Type.Literal(s)),
            { default: 'name' },
          ),
          ...CsvFormatQuery,
        }),
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const q = request.query;
      if (wantsCsv(request))
        return sendCsv(
          reply,
          'organizations',
          ctx.clock.now(),
          ORGANIZATION_COLUMNS,
          async (page, pageSize) =>
            (await listOrganizations(db, { search: q.search, sort: q.sort as OrganizationSort, page, pageSize })).items,
        );
      const result = await listOrganizations(db, {
        search: q.search,
        sort: q.sort as OrganizationSort,
        page: q.page,
        pageSize: q.pageSize,
      });
      const sortLink = (column: (typeof SORT_COLUMNS)[number]) => {
        const current = q.sort.replace(/^-/, '') === column.key;
        const descending = q.sort.startsWith('-');
        // Numbers first sort biggest first; a second click turns the order round.
        const next = current
          ? descending
            ? column.key
            : `-${column.key}`
          : column.numeric || column.key === 'lastSync'
            ? `-${column.key}`
            : column.key;
        const params = new URLSearchParams({ sort: next });
        if (q.search) params.set('search', q.search);
        return html`<th
          scope="col"
          ${column.numeric ? html` class="num"` : ''}${current ? html` aria-sort="${descending ? 'descending' : 'ascending'}"` : ''}
        >
          <a href="/organizations?${params.toString()}">${column.label}${current ? (descending ? ' ↓' : ' ↑') : ''}</a>
        </th>`;
      };
      const body = html`<h1>Organizations</h1>
        <form class="filters" method="get" action="/organizations" role="search">
          <input type="hidden" name="sort" value="${q.sort}" />
          <div>
            <label for="o-search">Search</label
            ><input id="o-search" name="search" type="search" value="${q.search ?? ''}" maxlength="200" placeholder="name or domain" />
          </div>
          <div><button type="submit">Search</button></div>
        </form>
        <p class="muted">
          ${result.total} organization${result.total === 1 ? '' : 's'}${q.search ? html` matching “${q.search}”` : ''}.
          <a href="${csvHref('/organizations', { search: q.search, sort: q.sort })}">Export as CSV</a>
        </p>
        ${
          result.items.length === 0
            ? q.search
              ? emptyState('No organization matches this search.', html`<a href="/organizations">Show every organization</a>.`)
              : emptyState(
                  'No organizations yet.',
                  html`Create them from customer tenants on the <a href="/tenants">tenants</a> page, or let the integration create one per
                    tenant.`,
                )
            : html`<table>
                  <caption class="visually-hidden">
                    Organizations
                  </caption>
                  <thead>
                    <tr>
                      ${SORT_COLUMNS.slice(0, 4).map(sortLink)}
                      <th scope="col">Health</th>
                      ${sortLink(SORT_COLUMNS[4]!)}
                    </tr>
                  </thead>
                  <tbody>
                    ${result.items.map(
                      (o) =>
                        html`<tr data-organization="${o.id}">
                          <td>
                            <a href="/organizations/${o.id}">${name(o.name)}</a
                            >${o.domains.length ? html`<br /><span class="muted">${o.domains.slice(0, 3).join(', ')}</span>` : ''}${
                              o.reviewCount ? html`<br /><a class="small" href="/organizations/${o.id}">${o.reviewCount} to review</a>` : ''
                            }
                          </td>
                          <td class="num">${o.tenantCount}</td>
                          <td class="num">${o.contactCount}</td>
                          <td class="num">${o.configurationCount}</td>
                          <td>${o.health ? badge('health', o.health) : html`<span class="muted">no tenant</span>`}</td>
                          <td>${when(o.lastSyncAt)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
                ${pager(
                  '/organizations',
                  { search: q.search, sort: q.sort, pageSize: q.pageSize === 50 ? undefined : q.pageSize },
                  q.page,
                  q.pageSize,
                  result.total,
                )}`
        }`;
      return sendPage(reply, 200, layout({ title: 'Organizations', principal, section: 'organizations', body }));
    },
  );

  app.get('/organizations/:id', { config: { access: 'signedIn', page: true }, schema: { params: IdParams } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const detail = await organizationDetail(db, ctx.clock, request.params.id);
    const body = html`${organizationTabs(detail, 'overview')}${overview(detail, portalCloud(ctx.config.microsoft))}`;
    return sendPage(reply, 200, layout({ title: detail.name.slice(0, 80), principal, section: 'organizations', body }));
  });

  app.get(
    '/organizations/:id/contacts',
    { config: { access: 'signedIn', page: true }, schema: { params: IdParams, querystring: ContactListQuery } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const detail = await organizationDetail(db, ctx.clock, request.params.id);
      const q = request.query;
      const filter = groupDepartmentFilter(q);
      if (wantsCsv(request))
        return sendCsv(
          reply,
          'contacts',
          ctx.clock.now(),
          CONTACT_COLUMNS,
          async (page, pageSize) => (await listOrganizationContacts(db, detail.id, { ...filter, page, pageSize })).items,
        );
      const [result, choices] = await Promise.all([
        listOrganizationContacts(db, detail.id, { ...filter, page: q.page, pageSize: q.pageSize }),
        organizationGroupsAndDepartments(db, detail.id),
      ]);
      // Several tenants: a group's name alone may not say whose it is.
      const tenantSuffix = (tenantName: string) => (detail.tenants.length > 1 ? ` (${tenantName.slice(0, 60)})` : '');
      const body = documentationList({
        detail,
        tab: 'contacts',
        principal,
        filtered: Object.values(filter).some(Boolean),
        filters: searchFilters({
          id: 'oc-search',
          value: filter.search,
          placeholder: 'name, email, UPN or phone',
          button: 'Search',
          csv: { path: `/organizations/${detail.id}/contacts`, query: filter },
          extra: groupDepartmentFilters({
            id: 'oc',
            groups: choices.groups.map((g) => ({ value: g.groupId, label: `${g.displayName}${tenantSuffix(g.tenantName)}` })),
            departments: choices.departments,
            group: filter.group,
            department: filter.department,
          }),
        }),
        add: { label: 'Add a contact', form: contactForm(null, detail.id) },
        noMatch: 'No contact matches these filters.',
        showAll: 'Show every contact',
        empty: { title: 'No contacts yet.', fromTenants: 'The users of its tenants become contacts at the next sync.' },
        total: result.total,
        table: () => contactsTable(result.items, detail.id, principal),
        pager: pager(`/organizations/${detail.id}/contacts`, filter, q.page, q.pageSize, result.total),
      });
      return sendPage(reply, 200, layout({ title: `Contacts of ${detail.name.slice(0, 80)}`, principal, section: 'organizations', body }));
    },
  );

  app.get(
    '/organizations/:id/configurations',
    { config: { access: 'signedIn', page: true }, schema: { params: IdParams, querystring: ConfigurationListQuerySchema } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const detail = await organizationDetail(db, ctx.clock, request.params.id);
      const q = configurationListQuery(request.query);
      const context = { now: ctx.clock.now() };
      if (wantsCsv(request))
        return sendCsv(
          reply,
          'configurations',
          context.now,
          CONFIGURATION_COLUMNS,
          exportPages(q, (query) => listOrganizationConfigurations(db, detail.id, query, context)),
        );
      const path = `/organizations/${detail.id}/configurations`;
      const [result, operatingSystems] = await Promise.all([
        listOrganizationConfigurations(db, detail.id, q, context),
        organizationOperatingSystems(db, detail.id),
      ]);
      const list = deviceListControls({ path, filter: q, operatingSystems });
      const body = documentationList({
        detail,
        tab: 'configurations',
        principal,
        filtered: list.filtered,
        filters: html`${searchFilters({
          id: 'og-search',
          value: q.search,
          placeholder: 'name or serial number',
          button: 'Filter',
          csv: { path, query: list.csvQuery },
          extra: list.formExtra,
        })}
        ${list.active}`,
        add: { label: 'Add a configuration', form: configurationForm(null, detail.id) },
        noMatch: 'No configuration fits these filters.',
        showAll: 'Show every configuration',
        empty: {
          title: 'No configurations yet.',
          fromTenants: 'The Intune devices of its tenants become configurations at the next sync.',
        },
        total: result.total,
        table: () => configurationsTable(result.items, detail.id, principal, list.header),
        pager: cursorPager({ path, query: list.query, ...q, ...result }),
      });
      return sendPage(
        reply,
        200,
        layout({ title: `Configurations of ${detail.name.slice(0, 80)}`, principal, section: 'organizations', body }),
      );
    },
  );
};
