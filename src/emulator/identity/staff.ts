// The partner's own staff who sign in to docsync with "Sign in with Microsoft" (single sign-on
// against the MSP's tenant). Besides the GDAP service account the emulated partner tenant has
// technicians in two security groups, one of them registered for MFA, and a disabled account,
// so an SSO client meets group claims, `amr`, and the disabled-user error (AADSTS50057).
// Everything is derived from the partner (seeded), so tests and the demo know the passwords.
import { createHash } from 'node:crypto';
import type { PartnerInfo } from '../world-types.ts';
import type { SignedInUser } from './tokens.ts';

export interface StaffMember extends SignedInUser {
  password: string;
  accountEnabled: boolean;
}

const derived = (partner: PartnerInfo, label: string) =>
  createHash('sha256').update(`${partner.tenantId}|${partner.adminUser.password}|${label}`).digest('hex');

function guid(partner: PartnerInfo, label: string): string {
  const h = derived(partner, label);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Object ids of the partner's security groups that an MSP would map to docsync roles. */
export function staffGroups(partner: PartnerInfo): { technicians: string; administrators: string } {
  return { technicians: guid(partner, 'group:docsync-technicians'), administrators: guid(partner, 'group:docsync-administrators') };
}

export function partnerStaff(partner: PartnerInfo): StaffMember[] {
  const groups = staffGroups(partner);
  const member = (alias: string, displayName: string, memberOf: string[], amr: string[], accountEnabled = true): StaffMember => ({
    id: guid(partner, `user:${alias}`),
    userPrincipalName: `${alias}@${partner.defaultDomain}`,
    displayName,
    homeTenantId: partner.tenantId,
    groups: memberOf,
    amr,
    accountEnabled,
    password: `Emu-${derived(partner, `password:${alias}`).slice(0, 12)}!`,
  });
  return [
    member('alex.tech', 'Alex Technician', [groups.technicians], ['pwd', 'mfa']),
    member('dana.admin', 'Dana Administrator', [groups.administrators, groups.technicians], ['pwd', 'mfa']),
    member('pat.password', 'Pat Passwordonly', [groups.technicians], ['pwd']),
    member('former.tech', 'Former Technician', [groups.technicians], ['pwd', 'mfa'], false),
  ];
}
