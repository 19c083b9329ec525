// Where a tenant problem or a sync-log line is fixed, as links beside its "what to do" sentence:
// the admin consent link of the configured cloud (the one the home page gives, src/docs/attention.ts),
// the integration's page (permissions, GDAP roles, reconnect), or the customer in Partner Center.
// Codes come from src/microsoft/errors.ts and src/web/services/tenant-status.ts.
import { adminConsentUrl } from '../../microsoft/errors.ts';
import { tenantPortalLinks, type PortalCloud } from '../../microsoft/portal-links.ts';
import { html, type SafeHtml } from '../html.ts';

export interface FixContext {
  authorityHost: string;
  cloud: PortalCloud;
  integrationId: string;
  /** The integration's app (client) id, for the admin consent link. */
  clientId: string | null;
  /** The tenant the problem is about; null for the integration's own lines. */
  tenant: { microsoftTenantId: string; accessKind: 'gdap' | 'dap' | 'direct' } | null;
}

export interface FixLink {
  label: string;
  url: string;
  /** Microsoft's site (opens in a new tab) rather than a docsync page. */
  external: boolean;
}

const CONNECTION_CODES = new Set([
  'partner_connection_expired',
  'client_secret_expired',
  'client_secret_rejected',
  'mfa_required',
  'app_not_found',
  'token_request_failed',
]);
const ROLE_CODES = new Set(['permission_missing', 'gdap_role_missing', 'gdap_missing', 'service_not_enabled']);
const RELATIONSHIP_CODES = new Set([
  'relationship_ended',
  'relationship_pending',
  'relationship_ending',
  'tenant_unlisted',
  'gdap_missing',
]);

export function fixLinks(code: string, context: FixContext): FixLink[] {
  const links: FixLink[] = [];
  const integration = `/integrations/${context.integrationId}`;
  const partnerCenter = context.tenant
    ? tenantPortalLinks(context.cloud, context.tenant).find((l) => l.portal === 'partnerCenter')
    : undefined;
  if (code === 'consent_missing' && context.tenant && context.clientId) {
    links.push({
      label: 'Admin consent link',
      url: adminConsentUrl(context.authorityHost, context.tenant.microsoftTenantId, context.clientId),
      external: true,
    });
  }
  if (ROLE_CODES.has(code))
    links.push({ label: 'Permissions and GDAP roles docsync needs', url: `${integration}#microsoft-setup`, external: false });
  if (CONNECTION_CODES.has(code)) links.push({ label: "The integration's page (reconnect)", url: integration, external: false });
  if ((ROLE_CODES.has(code) || RELATIONSHIP_CODES.has(code)) && partnerCenter) {
    links.push({ label: "The customer's GDAP relationships in Partner Center", url: partnerCenter.url, external: true });
  }
  // Concealed report names are switched off in the customer's Microsoft 365 admin center (Settings › Org settings › Reports).
  const m365 = context.tenant ? tenantPortalLinks(context.cloud, context.tenant).find((l) => l.portal === 'm365') : undefined;
  if (code === 'reports_concealed' && m365) links.push({ label: 'Microsoft 365 admin center', url: m365.url, external: true });
  return links;
}

export function fixLinksView(links: FixLink[]): SafeHtml | '' {
  if (links.length === 0) return '';
  return html`<span class="fix-links"
    >${links.map(
      (l) =>
        html` <a href="${l.url}" ${l.external ? html` target="_blank" rel="noopener noreferrer"` : ''}
          >${l.label}${l.external ? html`<span class="visually-hidden"> (opens in a new tab)</span>` : ''}</a
        >`,
    )}</span
  >`;
}
