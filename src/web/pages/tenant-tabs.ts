// The tabs and actions above every page of one tenant (contacts, configurations, licences,
// groups, MFA, cost), with its status banner: one module the tenant pages share.
import type { Principal } from '../../auth/roles.ts';
import { html, type SafeHtml } from '../html.ts';
import { can } from './layout.ts';
import type { TenantStatus } from '../services/tenant-status.ts';
import { tenantStatusBanner } from './tenant-status-view.ts';

export function tenantTabs(
  tenantId: string,
  current: 'contacts' | 'configurations' | 'licenses' | 'groups' | 'mfa',
  principal: Principal,
  status: TenantStatus,
  /** The tenant's "Manage in Microsoft" menu (row-actions.ts) and where each problem is fixed (fix-links.ts). */
  extras: { manageMenu?: SafeHtml | ''; fixFor?: (code: string) => SafeHtml | '' } = {},
): SafeHtml {
  const tab = (key: typeof current, label: string) =>
    html`<li><a href="/tenants/${tenantId}/${key}" ${key === current ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<nav aria-label="Tenant">
      <ul class="tabs">
        ${tab('contacts', 'Contacts')}${tab('configurations', 'Configurations')}${tab('licenses', 'Licenses')}
        ${tab('groups', 'Groups')}${tab('mfa', 'MFA')}
        <li><a href="/tenants/${tenantId}/license-report">Cost, waste and trends</a></li>
      </ul>
    </nav>
    ${extras.manageMenu ?? ''} ${tenantStatusBanner(status, extras.fixFor)}
    ${
      can(principal, 'technician')
        ? html`<p>
            <button class="secondary" data-api="POST /api/tenants/${tenantId}/sync" data-follow data-done="Sync queued.">
              Sync this tenant now
            </button>
          </p>`
        : ''
    }
    <p><a href="/tenants/${tenantId}/actions">Lifecycle actions (onboard, offboard, licences)</a></p>`;
}
