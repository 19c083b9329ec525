// Which GDAP roles each step needs in the customer's relationship (least privilege, from the
// "Permissions" and "Important" notes of each Graph write on Learn), and which delegated scopes
// enabling actions asks consent for. The integration page and every preview use these, so a
// technician sees what is possible before anyone tries.
import { ENTRA_ROLES } from '../microsoft/scopes.ts';

export type StepName =
  | 'block_sign_in'
  | 'revoke_sessions'
  | 'reset_password'
  | 'remove_from_groups'
  | 'remove_licenses'
  | 'set_auto_reply'
  | 'delete_user'
  | 'create_user'
  | 'document_contact'
  | 'assign_licenses'
  | 'add_to_groups';

const r = ENTRA_ROLES;
const LICENSE_ADMINISTRATOR = '4d6ac14f-3453-41d0-bef9-a3e0c569773a';
const GROUPS_ADMINISTRATOR = 'fdd7a751-b60b-444a-984c-02652fe8fa1c';
export const PRIVILEGED_AUTHENTICATION_ADMINISTRATOR = '7be44c8a-adaf-4e2a-84d6-ab2649e08a13';

export const WRITE_ROLE_NAMES: Record<string, string> = {
  [LICENSE_ADMINISTRATOR]: 'License Administrator',
  [GROUPS_ADMINISTRATOR]: 'Groups Administrator',
  [PRIVILEGED_AUTHENTICATION_ADMINISTRATOR]: 'Privileged Authentication Administrator',
};

/** Any one of these roles lets docsync's group do the step (Global Administrator always does). */
export const STEP_ROLES: Record<StepName, string[]> = {
  block_sign_in: [r.userAdministrator.id],
  revoke_sessions: [r.userAdministrator.id, PRIVILEGED_AUTHENTICATION_ADMINISTRATOR],
  reset_password: [r.userAdministrator.id, r.helpdeskAdministrator.id, PRIVILEGED_AUTHENTICATION_ADMINISTRATOR],
  remove_from_groups: [GROUPS_ADMINISTRATOR, r.userAdministrator.id],
  remove_licenses: [LICENSE_ADMINISTRATOR, r.userAdministrator.id],
  set_auto_reply: [r.exchangeAdministrator.id],
  delete_user: [r.userAdministrator.id],
  create_user: [r.userAdministrator.id],
  document_contact: [],
  assign_licenses: [LICENSE_ADMINISTRATOR, r.userAdministrator.id],
  add_to_groups: [GROUPS_ADMINISTRATOR, r.userAdministrator.id],
};

/** An administrator's password, sign-in and account: only these (Learn, "Who can reset passwords"). */
export const ADMINISTRATOR_TARGET_ROLES = [r.globalAdministrator.id, PRIVILEGED_AUTHENTICATION_ADMINISTRATOR];

export function roleNames(step: StepName): string {
  return STEP_ROLES[step].map((id) => WRITE_ROLE_NAMES[id] ?? Object.values(r).find((role) => role.id === id)?.name ?? id).join(' or ');
}

/** Whether a tenant's GDAP roles (from discovery) allow the step. Direct integrations: Microsoft decides. */
export function rolesAllow(step: StepName, tenantRoleIds: readonly string[] | null): boolean {
  if (tenantRoleIds === null) return true;
  const needed = STEP_ROLES[step];
  return needed.length === 0 || tenantRoleIds.includes(r.globalAdministrator.id) || needed.some((id) => tenantRoleIds.includes(id));
}

/** Delegated scopes enabling actions asks consent for (README: "Lifecycle actions"). */
export const WRITE_SCOPES = [
  'User.ReadWrite.All',
  'GroupMember.ReadWrite.All',
  'LicenseAssignment.ReadWrite.All',
  'MailboxSettings.ReadWrite',
] as const;

export type ActionKind = 'offboard' | 'onboard' | 'license_assign' | 'license_remove' | 'license_reclaim' | 'password_rotation';
export const ACTION_KINDS: readonly ActionKind[] = [
  'offboard',
  'onboard',
  'license_assign',
  'license_remove',
  'license_reclaim',
  'password_rotation',
];

/** Which actions a tenant's roles allow completely (shown per tenant on the integration API). */
export function actionsAllowed(tenantRoleIds: readonly string[] | null): Record<ActionKind, boolean> {
  const all = (steps: StepName[]) => steps.every((s) => rolesAllow(s, tenantRoleIds));
  return {
    offboard: all(['block_sign_in', 'revoke_sessions', 'reset_password', 'remove_from_groups', 'remove_licenses']),
    onboard: all(['create_user', 'assign_licenses', 'add_to_groups']),
    license_assign: all(['assign_licenses']),
    license_remove: all(['remove_licenses']),
    license_reclaim: all(['remove_licenses']),
    password_rotation: all(['reset_password']),
  };
}
