// /tenants/:id/mfa: MFA coverage of one tenant (issue 17): the share of enabled member users
// with MFA registered, admins without MFA first, or "not available" with the reason and what to do.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppContext } from '../../context.ts';
import { tenantMfaReport, type userMfa, type UserMfaRow } from '../../reports/mfa.ts';
import { requirePrincipal } from '../guards.ts';
import { html, name, type SafeHtml } from '../html.ts';
import { emptyState, layout } from './layout.ts';
import { sendPage } from './account-pages.ts';
import { IdParams } from '../schemas.ts';
import { getTenant } from '../../stores/tenants.ts';
import { tenantStatus } from '../services/tenant-status.ts';
import { tenantTabs } from './tenant-tabs.ts';
import { searchFilters } from './list-views.ts';
import { groupDepartmentFilters } from './group-department-filters.ts';
import { GroupDepartmentQuery } from '../group-department-query.ts';
import { tenantDepartments, tenantGroups } from '../../stores/groups.ts';

/** Microsoft's method names (userRegistrationDetails) in words. */
const METHOD_NAMES: Record<string, string> = {
  microsoftAuthenticatorPush: 'Authenticator (push)',
  microsoftAuthenticatorPasswordless: 'Authenticator (passwordless)',
  softwareOneTimePasscode: 'Authenticator code',
  hardwareOneTimePasscode: 'Hardware token',
  mobilePhone: 'Mobile phone',
  alternateMobilePhone: 'Alternate phone',
  officePhone: 'Office phone',
  email: 'Email',
  fido2: 'Security key / passkey',
  windowsHelloForBusiness: 'Windows Hello',
  temporaryAccessPass: 'Temporary Access Pass',
  push: 'Authenticator (push)',
  oath: 'Authenticator code',
  sms: 'Text message',
  voiceMobile: 'Phone call',
  voiceAlternateMobile: 'Phone call (alternate)',
  voiceOffice: 'Phone call (office)',
};
export const methodName = (method: string): string => METHOD_NAMES[method] ?? method;

export function mfaBadge(registered: boolean | null): SafeHtml {
  if (registered === true) return html`<span class="badge health-ok">registered</span>`;
  if (registered === false) return html`<span class="badge state-failed">not registered</span>`;
  return html`<span class="badge state-skip">no record</span>`;
}

/** The MFA line of a user's Microsoft overlay. */
export function mfaOverlay(tenantId: string, mfa: Awaited<ReturnType<typeof userMfa>>): SafeHtml {
  if (!mfa.available)
    return html`<span class="muted">not available: ${mfa.reason ?? 'unknown'}</span> (<a href="/tenants/${tenantId}/mfa"
        >MFA of the tenant</a
      >)`;
  const methods = mfa.methods.length ? html`; ${mfa.methods.map(methodName).join(', ')}` : '';
  const preferred = mfa.defaultMethod ? html`; default ${methodName(mfa.defaultMethod)}` : '';
  return html`${mfaBadge(mfa.registered)}${mfa.isAdmin ? html` <strong>admin</strong>` : ''}${methods}${preferred}`;
}

const percent = (value: number) => `${Math.round(value * 1000) / 10} %`;

function userRow(tenantId: string, u: UserMfaRow): SafeHtml {
  return html`<tr>
    <td>
      <a href="/tenants/${tenantId}/users/${encodeURIComponent(u.userId)}">${name(u.displayName)}</a><br /><span class="muted"
        >${u.userPrincipalName ?? ''}</span
      >
    </td>
    <td>${u.isAdmin ? html`<strong>admin</strong>` : ''}</td>
    <td>${u.accountEnabled === false ? 'disabled' : u.userType === 'Guest' ? 'guest' : 'member'}</td>
    <td>${mfaBadge(u.registered)}</td>
    <td>${u.methods.length ? u.methods.map(methodName).join(', ') : html`<span class="muted">none</span>`}</td>
    <td>${u.defaultMethod ? methodName(u.defaultMethod) : html`<span class="muted">—</span>`}</td>
  </tr>`;
}

export const tenantMfaPageRoutes: FastifyPluginAsyncTypebox<{ ctx: AppContext }> = async (app, { ctx }) => {
  const db = ctx.database.db;
  const query = Type.Object({ ...GroupDepartmentQuery, search: Type.Optional(Type.String({ maxLength: 200 })) });
  app.get(
    '/tenants/:id/mfa',
    { config: { access: 'signedIn', page: true }, schema: { params: IdParams, querystring: query } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const tenant = await getTenant(db, request.params.id);
      const filter = {
        group: request.query.group || undefined,
        department: request.query.department || undefined,
        search: request.query.search || undefined,
      };
      const narrowed = Boolean(filter.group || filter.department || filter.search);
      const [report, status, groups, departments] = await Promise.all([
        tenantMfaReport(db, tenant.id, filter),
        tenantStatus(db, tenant, ctx.clock.now()),
        tenantGroups(db, tenant.id),
        tenantDepartments(db, tenant.id),
      ]);
      const a = report.availability;
      const summary = !a.available
        ? html`<section class="banner warn" aria-labelledby="mfa-unavailable">
            <h2 id="mfa-unavailable">MFA registration is not available for this tenant</h2>
            <p>${a.message.charAt(0).toUpperCase()}${a.message.slice(1)}${/[.!?]$/.test(a.message) ? '' : '.'}</p>
            ${a.action ? html`<p><strong>What to do:</strong> ${a.action}.</p>` : ''}
          </section>`
        : html`<dl class="overlay">
            <dt>MFA coverage</dt>
            <dd>
              ${
                report.coverage === null
                  ? html`<span class="muted">no enabled member users</span>`
                  : html`<strong>${percent(report.coverage)}</strong>`
              }
              <span class="muted"
                >(${report.registered} of ${report.enabledMembers} enabled member users${narrowed ? ' shown' : ''} have MFA
                registered)</span
              >
            </dd>
            <dt>Admins without MFA</dt>
            <dd>${report.adminsWithoutMfa > 0 ? html`<strong>${report.adminsWithoutMfa}</strong>` : '0'}</dd>
          </dl>`;
      const body = html`<h1>MFA of ${name(tenant.display_name)}</h1>
        ${tenantTabs(tenant.id, 'mfa', principal, status)} ${summary}
        ${
          a.available
            ? searchFilters({
                id: 'mfa-search',
                value: filter.search,
                placeholder: 'name, UPN or mail',
                button: 'Filter',
                csv: { path: `/api/tenants/${tenant.id}/mfa`, query: filter },
                extra: groupDepartmentFilters({
                  id: 'mfa',
                  groups: groups.map((g) => ({ value: g.groupId, label: g.displayName })),
                  departments,
                  group: filter.group,
                  department: filter.department,
                }),
              })
            : ''
        }
        ${
          a.available
            ? report.users.length === 0
              ? narrowed
                ? emptyState('No user fits these filters.', html`<a href="/tenants/${tenant.id}/mfa">Clear the filters</a>.`)
                : emptyState('No users yet.', 'Users appear here after the next sync.')
              : html`<table>
                  <caption>
                    Users and their MFA registration (admins without MFA first)
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">User</th>
                      <th scope="col">Role</th>
                      <th scope="col">Account</th>
                      <th scope="col">MFA</th>
                      <th scope="col">Methods</th>
                      <th scope="col">Default method</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${report.users.map((u) => userRow(tenant.id, u))}
                  </tbody>
                </table>`
            : ''
        }`;
      return sendPage(reply, 200, layout({ title: `MFA of ${tenant.display_name.slice(0, 80)}`, principal, section: 'tenants', body }));
    },
  );
};
