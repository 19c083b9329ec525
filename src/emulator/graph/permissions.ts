// Permission checks as Graph makes them. App-only: the token's roles must include one of the
// endpoint's application permissions. Delegated: the token's scopes must include one, AND in a
// customer tenant the partner user's GDAP roles (live, via world.gdapAccess: an expired
// relationship bites at once, not at the next token) must allow it. Missing → 403
// Authorization_RequestDenied (https://learn.microsoft.com/en-us/graph/errors).

import { permissionsGrantedByRole } from '../world/catalog.ts';
import type { GraphRequest, GraphServices } from './context.ts';
import { insufficientPrivileges } from './errors.ts';

export const PERMISSIONS = {
  users: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  auditLog: ['AuditLog.Read.All'],
  groups: ['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  organization: ['Organization.Read.All', 'Directory.Read.All', 'Organization.ReadWrite.All', 'Directory.ReadWrite.All'],
  domains: ['Domain.Read.All', 'Directory.Read.All', 'Domain.ReadWrite.All', 'Directory.ReadWrite.All'],
  contracts: ['Directory.Read.All', 'Directory.ReadWrite.All'],
  gdap: ['DelegatedAdminRelationship.Read.All', 'DelegatedAdminRelationship.ReadWrite.All'],
  devices: ['DeviceManagementManagedDevices.Read.All', 'DeviceManagementManagedDevices.ReadWrite.All'],
  reports: ['Reports.Read.All'],
  reportSettingsRead: ['ReportSettings.Read.All', 'ReportSettings.ReadWrite.All'],
  reportSettingsWrite: ['ReportSettings.ReadWrite.All'],
} as const;

/** Throws 403 unless the caller holds one of `anyOf` in the request's tenant. */
export function authorize(request: GraphRequest, services: GraphServices, anyOf: readonly string[]): void {
  if (!allowed(request, services, anyOf)) throw insufficientPrivileges();
}

export function allowed(request: GraphRequest, services: GraphServices, anyOf: readonly string[]): boolean {
  const { caller } = request;
  if (caller.kind === 'app') return caller.roles.some((r) => anyOf.includes(r));
  const held = caller.scopes.filter((s) => anyOf.includes(s));
  if (held.length === 0) return false;
  const { world } = services;
  if (world.isPartnerTenant(request.tenantId) || !caller.userId) return true;
  // A user of the customer tenant itself (not a GDAP partner user) is its own admin here.
  if (world.user(request.tenantId, caller.userId)) return true;
  const access = world.gdapAccess(request.tenantId, caller.userId);
  if (!access.ok) return false;
  return held.some((permission) => access.roleDefinitionIds.some((role) => permissionsGrantedByRole(role, permission)));
}
