// "Test connection" for one customer tenant (issue 15): one cheap documented Graph read per
// permission docsync needs, all in one $batch through the real client (token broker, pacing,
// Retry-After), each answer read on its own: OK, missing permission (403: the scope and the GDAP
// role that grants it), licence missing, throttled, or Microsoft's error. Nothing is stored.
import type { BatchResponse, GraphClientFactory } from './graph-client.ts';
import { isIntuneForbidden } from './graph-client.ts';
import { isMicrosoftError } from './errors.ts';
import { NO_PREMIUM_LICENSE_CODE } from './authentication-methods.ts';
import { ENTRA_ROLES, GDAP_ROLE_NEEDS, roleName, type Capability } from './scopes.ts';

export type ConnectionCheckStatus = 'ok' | 'permission_missing' | 'license_missing' | 'throttled' | 'error';

export interface ConnectionCheck {
  /** The delegated Graph permission the read needs (README, "Delegated scopes"). */
  permission: string;
  /** What docsync reads with it. */
  feature: string;
  ok: boolean;
  status: ConnectionCheckStatus;
  message: string;
}

interface CheckSpec {
  id: string;
  permission: string;
  feature: string;
  /** A cheap read: one record, or a report's redirect (Graph answers 302 before any download). */
  url: string;
  /** The GDAP roles that allow it (src/microsoft/scopes.ts). */
  capability: Capability;
  /** The licence the tenant needs for it, if any. */
  licence?: string;
}

const CHECKS: readonly CheckSpec[] = [
  { id: 'users', permission: 'User.Read.All', feature: 'users', url: '/users?$top=1&$select=id', capability: 'users' },
  {
    id: 'signInActivity',
    permission: 'AuditLog.Read.All',
    feature: "users' last sign-in",
    url: '/users?$top=1&$select=id,signInActivity',
    capability: 'signInActivity',
    licence: 'Entra ID P1 or P2',
  },
  {
    id: 'groups',
    permission: 'GroupMember.Read.All',
    feature: 'groups and members',
    url: '/groups?$top=1&$select=id',
    capability: 'users',
  },
  {
    id: 'licences',
    permission: 'Organization.Read.All',
    feature: 'licences (subscribedSkus)',
    url: '/subscribedSkus',
    capability: 'users',
  },
  {
    id: 'devices',
    permission: 'DeviceManagementManagedDevices.Read.All',
    feature: 'Intune devices',
    url: '/deviceManagement/managedDevices?$top=1&$select=id',
    capability: 'devices',
    licence: 'Intune',
  },
  {
    id: 'mailboxReport',
    permission: 'Reports.Read.All',
    feature: 'mailbox usage report',
    url: "/reports/getMailboxUsageDetail(period='D7')",
    capability: 'reports',
  },
  {
    id: 'usageReports',
    permission: 'Reports.Read.All',
    feature: 'app activity reports',
    url: "/reports/getOffice365ActiveUserDetail(period='D7')",
    capability: 'reports',
  },
  {
    id: 'mfa',
    permission: 'AuditLog.Read.All',
    feature: 'MFA registration (userRegistrationDetails)',
    url: '/reports/authenticationMethods/userRegistrationDetails?$top=1',
    capability: 'signInActivity',
    licence: 'Entra ID P1 or P2',
  },
];

/** "Global Reader (or Reports Reader, Security Reader)": the recommended role first, Global Administrator left out. */
function rolesFor(capability: Capability): string {
  const need = GDAP_ROLE_NEEDS.find((n) => n.capability === capability)!;
  const others = need.anyOf.map(roleName).filter((name) => name !== need.recommended && name !== ENTRA_ROLES.globalAdministrator.name);
  return others.length ? `${need.recommended} (or ${others.join(', ')})` : need.recommended;
}

function graphError(body: unknown): { code: string | null; message: string | null } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return {
    code: typeof error?.code === 'string' ? error.code : null,
    message: typeof error?.message === 'string' ? error.message.slice(0, 300).replace(/\.$/, '') : null,
  };
}

function checkOf(spec: CheckSpec, answer: BatchResponse): ConnectionCheck {
  const base = { permission: spec.permission, feature: spec.feature };
  const { code, message } = graphError(answer.body);
  const said = `${code ?? `HTTP ${answer.status}`}${message ? `: ${message}` : ''}`;
  // 302: a report's pre-authenticated download link; the permission was accepted.
  if (answer.status === 200 || answer.status === 302) return { ...base, ok: true, status: 'ok', message: 'OK' };
  if (answer.status === 403 && code === NO_PREMIUM_LICENSE_CODE)
    return {
      ...base,
      ok: false,
      status: 'license_missing',
      message: `The tenant has no ${spec.licence ?? 'licence this needs'} (${said}).`,
    };
  // Intune answers 400 "Request not applicable to target tenant" without an Intune licence (src/emulator/graph/directory.ts).
  if (spec.capability === 'devices' && answer.status === 400)
    return { ...base, ok: false, status: 'license_missing', message: `The tenant has no Intune licence (${said}).` };
  // Intune nests its reason as JSON in the message; the status says it all.
  if (isIntuneForbidden(answer.status, code, message))
    return {
      ...base,
      ok: false,
      status: 'permission_missing',
      message:
        `Intune refused (401 Forbidden). docsync needs ${spec.permission} consented in the tenant and, through GDAP, ` +
        `${rolesFor(spec.capability)} for the service account's group.`,
    };
  if (answer.status === 403)
    return {
      ...base,
      ok: false,
      status: 'permission_missing',
      message:
        `Microsoft refused (${said}). docsync needs ${spec.permission} consented in the tenant and, through GDAP, ` +
        `${rolesFor(spec.capability)} for the service account's group.`,
    };
  if (answer.status === 429) {
    const retryAfter = Object.entries(answer.headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
    return {
      ...base,
      ok: false,
      status: 'throttled',
      message: `Microsoft is throttling this tenant${retryAfter ? `; try again in ${retryAfter} s` : '; try again in a minute'}.`,
    };
  }
  if (answer.status === 0) return { ...base, ok: false, status: 'error', message: 'Microsoft did not answer this request.' };
  return { ...base, ok: false, status: 'error', message: `Microsoft answered ${answer.status} (${said}).` };
}

/**
 * Runs every check for one tenant in one $batch. A failure before any read (no token: consent
 * missing, relationship ended, partner sign-in expired) is every check's answer, with its action.
 */
export async function testTenantConnection(
  graph: GraphClientFactory,
  target: { integrationId: string; microsoftTenantId: string },
): Promise<ConnectionCheck[]> {
  const tenantGraph = graph.forTenant(target.integrationId, target.microsoftTenantId, { graphRequests: 0, throttled: 0 });
  let answers: BatchResponse[];
  try {
    answers = await tenantGraph.batch(CHECKS.map((c) => ({ id: c.id, url: c.url })));
  } catch (error) {
    if (!isMicrosoftError(error)) throw error;
    const status: ConnectionCheckStatus =
      error.code === 'throttled_out'
        ? 'throttled'
        : error.code === 'consent_missing' || error.code === 'gdap_role_missing'
          ? 'permission_missing'
          : 'error';
    const message = `${error.message}${error.action ? `: ${error.action}` : ''}`;
    return CHECKS.map((c) => ({ permission: c.permission, feature: c.feature, ok: false, status, message }));
  }
  return CHECKS.map((spec) => checkOf(spec, answers.find((a) => a.id === spec.id) ?? { id: spec.id, status: 0, body: null, headers: {} }));
}
