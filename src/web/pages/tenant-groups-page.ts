// /tenants/:id/groups: a tenant's groups (issue 17) with their kind and users, a link to the
// tenant's users in the group, and (administrators) exclude / re-include: the integration's group
// exclusions are picked here instead of typed as object ids.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { tenantGroupsReport, type TenantGroupRow } from '../../reports/groups.ts';
import { csvHref } from '../../docs/export.ts';
import { requirePrincipal } from '../guards.ts';
import { html, name, type SafeHtml } from '../html.ts';
import { can, layout } from './layout.ts';
import { sendPage } from './account-pages.ts';
import { IdParams } from '../schemas.ts';
import { getTenant } from '../../stores/tenants.ts';
import { tenantStatus } from '../services/tenant-status.ts';
import { tenantTabs } from './tenant-tabs.ts';
import { tenantEmptyState } from './tenant-status-view.ts';

const KIND_NAMES: Record<TenantGroupRow['type'], string> = {
  microsoft365: 'Microsoft 365',
  security: 'Security',
  mail_security: 'Mail-enabled security',
  distribution: 'Distribution list',
  other: 'Other',
};

function groupRow(tenantId: string, g: TenantGroupRow, admin: boolean): SafeHtml {
  const api = `/api/tenants/${tenantId}/groups/${encodeURIComponent(g.groupId)}`;
  return html`<tr>
    <td>
      ${name(g.displayName)}${g.excluded ? html` <span class="badge state-excluded">excluded</span>` : ''}${
        g.description ? html`<br /><span class="muted">${g.description}</span>` : ''
      }
    </td>
    <td>${KIND_NAMES[g.type]}${g.mail ? html`<br /><span class="muted">${g.mail}</span>` : ''}</td>
    <td class="num">${g.userCount}</td>
    <td class="num">${g.nestedGroupCount}</td>
    <td>
      <a href="/tenants/${tenantId}/contacts?group=${encodeURIComponent(g.groupId)}"
        >View users<span class="visually-hidden"> of ${g.displayName}</span></a
      >
    </td>
    ${
      admin
        ? html`<td>
            ${
              g.excluded
                ? html`<button
                    class="secondary"
                    data-api="POST ${api}/include"
                    data-done="Re-included: its members are documented again from the next sync."
                  >
                    Re-include<span class="visually-hidden"> ${g.displayName}</span>
                  </button>`
                : html`<button
                    class="danger"
                    data-api="POST ${api}/exclude"
                    data-done="Excluded: its members are left out from the next sync."
                  >
                    Exclude<span class="visually-hidden"> ${g.displayName}</span>
                  </button>`
            }
          </td>`
        : ''
    }
  </tr>`;
}

export const tenantGroupsPageRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;
  app.get('/tenants/:id/groups', { config: { access: 'signedIn', page: true }, schema: { params: IdParams } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const tenant = await getTenant(db, request.params.id);
    const [report, status] = await Promise.all([tenantGroupsReport(db, tenant), tenantStatus(db, tenant, ctx.clock.now())]);
    const admin = can(principal, 'administrator');
    const body = html`<h1>Groups of ${name(tenant.display_name)}</h1>
      ${tenantTabs(tenant.id, 'groups', principal, status)}
      ${
        report.items.length === 0
          ? tenantEmptyState(status, 'groups', 'groups', {
              title: 'This tenant has no groups.',
              next: 'Its groups appear here after the next sync.',
            })
          : html`<p>
                Members of an excluded group (nested groups included) are left out of the documentation of this tenant's integration.
                <a href="${csvHref(`/api/tenants/${tenant.id}/groups`, {})}" download>Download CSV</a>
              </p>
              <table>
                <caption>
                  Groups, with their users counted through nested groups
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Group</th>
                    <th scope="col">Kind</th>
                    <th scope="col" class="num">Users</th>
                    <th scope="col" class="num">Nested groups</th>
                    <th scope="col">Members</th>
                    ${admin ? html`<th scope="col">Exclusion</th>` : ''}
                  </tr>
                </thead>
                <tbody>
                  ${report.items.map((g) => groupRow(tenant.id, g, admin))}
                </tbody>
              </table>`
      }`;
    return sendPage(reply, 200, layout({ title: `Groups of ${tenant.display_name.slice(0, 80)}`, principal, section: 'tenants', body }));
  });
};
