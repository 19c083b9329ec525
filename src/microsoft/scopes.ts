// What docsync asks Microsoft for, and why. The README quotes these tables: every delegated
// Graph scope with the feature that needs it, and the GDAP roles (Entra built-in role
// templates) the service account's security group needs in each customer relationship.
// Least privilege: read-only scopes, the narrowest that returns the fields docsync uses.

export interface ScopeNeed {
  /** Delegated Graph permission (without the resource prefix). */
  scope: string;
  feature: string;
  endpoints: string[];
}

/** Delegated Graph scopes requested at "Connect" (plus offline_access for the refresh token). */
export const GRAPH_DELEGATED_SCOPES: readonly ScopeNeed[] = [
  {
    scope: 'User.Read.All',
    feature: 'users: names, mail, aliases (proxyAddresses), otherMails, userType, enabled, licenses, last password change',
    endpoints: ['/users', '/users/delta'],
  },
  {
    scope: 'AuditLog.Read.All',
    feature: "users' last sign-in (signInActivity; the tenant also needs Entra ID P1/P2)",
    endpoints: ['/users?$select=signInActivity'],
  },
  {
    scope: 'GroupMember.Read.All',
    feature: 'exclusions by group membership (narrower than Group.Read.All)',
    endpoints: ['/groups', '/groups/{id}/members'],
  },
  {
    scope: 'DeviceManagementManagedDevices.Read.All',
    feature: 'Intune managed devices → configurations',
    endpoints: ['/deviceManagement/managedDevices'],
  },
  {
    scope: 'Reports.Read.All',
    feature: 'mailbox usage (size, items, quota, last activity)',
    endpoints: ["/reports/getMailboxUsageDetail(period='D7')"],
  },
  { scope: 'ReportSettings.Read.All', feature: 'detect reports with concealed (hashed) user names', endpoints: ['/admin/reportSettings'] },
  {
    scope: 'Organization.Read.All',
    feature: 'tenant name, verified domains and licenses (subscribedSkus)',
    endpoints: ['/organization', '/subscribedSkus'],
  },
  // /domains accepts Domain.Read.All or Directory.Read.All, not Organization.Read.All (G:org).
  {
    scope: 'Domain.Read.All',
    feature: "the tenant's domains (default, initial, verified) for matching organizations",
    endpoints: ['/domains'],
  },
  {
    scope: 'DelegatedAdminRelationship.Read.All',
    feature: 'GDAP discovery in the partner tenant: relationships, access assignments, customers',
    endpoints: ['/tenantRelationships/delegatedAdminRelationships', '/tenantRelationships/delegatedAdminCustomers'],
  },
  {
    scope: 'Directory.Read.All',
    feature: 'customers without GDAP (only a reseller or advisor contract) in the partner tenant; /contracts accepts no narrower scope',
    endpoints: ['/contracts'],
  },
];

/** Application permissions for a direct app-only integration (client credentials in one tenant). */
export const GRAPH_APPLICATION_PERMISSIONS: readonly string[] = [
  'User.Read.All',
  'AuditLog.Read.All',
  'GroupMember.Read.All',
  'DeviceManagementManagedDevices.Read.All',
  'Reports.Read.All',
  'ReportSettings.Read.All',
  'Organization.Read.All',
  'Domain.Read.All',
];

/** Entra built-in role template ids (the ids GDAP relationships and access assignments carry). */
export const ENTRA_ROLES = {
  globalAdministrator: { id: '62e90394-69f5-4237-9190-012177145e10', name: 'Global Administrator' },
  globalReader: { id: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451', name: 'Global Reader' },
  directoryReaders: { id: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b', name: 'Directory Readers' },
  userAdministrator: { id: 'fe930be7-5e62-47db-91af-98c3a49a38b1', name: 'User Administrator' },
  helpdeskAdministrator: { id: '729827e3-9c14-49f7-bb1b-9608f156bbb8', name: 'Helpdesk Administrator' },
  exchangeAdministrator: { id: '29232cdf-9323-42fd-ade2-1d097af3e4de', name: 'Exchange Administrator' },
  intuneAdministrator: { id: '3a2c62db-5318-420d-8d74-23affee5d9d5', name: 'Intune Administrator' },
  reportsReader: { id: '4a5d8f65-41da-4de4-8968-e035b65339cf', name: 'Reports Reader' },
  securityReader: { id: '5d6b6bb7-de71-4623-b4af-96380a352509', name: 'Security Reader' },
} as const;

export type Capability = 'users' | 'signInActivity' | 'devices' | 'reports';

export interface RoleNeed {
  capability: Capability;
  feature: string;
  /** Any one of these roles in the customer relationship's access assignment suffices. */
  anyOf: string[];
  /** What we recommend (least privilege that still covers it). */
  recommended: string;
}

const r = ENTRA_ROLES;
/**
 * GDAP roles per capability. Recommended for docsync's group: Directory Readers + Global
 * Reader (read-only; Global Reader covers sign-in activity, Intune and usage reports).
 * Narrower alternative: Directory Readers + Reports Reader (+ Intune Administrator for devices).
 */
export const GDAP_ROLE_NEEDS: readonly RoleNeed[] = [
  {
    capability: 'users',
    feature: 'users, groups, organization, licenses',
    anyOf: [r.directoryReaders.id, r.globalReader.id, r.userAdministrator.id, r.helpdeskAdministrator.id, r.globalAdministrator.id],
    recommended: r.directoryReaders.name,
  },
  {
    capability: 'signInActivity',
    feature: "users' last sign-in",
    anyOf: [r.reportsReader.id, r.securityReader.id, r.globalReader.id, r.globalAdministrator.id],
    recommended: r.globalReader.name,
  },
  {
    capability: 'devices',
    feature: 'Intune managed devices',
    anyOf: [r.globalReader.id, r.intuneAdministrator.id, r.globalAdministrator.id],
    recommended: r.globalReader.name,
  },
  {
    capability: 'reports',
    feature: 'mailbox usage reports',
    anyOf: [r.reportsReader.id, r.globalReader.id, r.exchangeAdministrator.id, r.globalAdministrator.id],
    recommended: r.globalReader.name,
  },
];

export const RECOMMENDED_GDAP_ROLES = [r.directoryReaders, r.globalReader] as const;

export function roleName(roleDefinitionId: string): string {
  return Object.values(ENTRA_ROLES).find((role) => role.id === roleDefinitionId)?.name ?? roleDefinitionId;
}

/** Scopes for the authorization request: fully qualified on the configured Graph resource. */
export function connectScopes(graphBaseUrl: string): string[] {
  return ['offline_access', ...GRAPH_DELEGATED_SCOPES.map((need) => `${graphBaseUrl}/${need.scope}`)];
}

/** ".default" on the configured Graph resource: everything consented in the tenant (works per customer tenant). */
export function graphDefaultScope(graphBaseUrl: string): string {
  return `${graphBaseUrl}/.default`;
}
