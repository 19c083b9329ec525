// Roles: read_only reads; technician also decides matches and starts syncs; administrator
// also manages integrations, accounts and settings.
import type { TechnicianRole } from '../db/schema.ts';

export const ROLES: readonly TechnicianRole[] = ['read_only', 'technician', 'administrator'];

/** What a route needs. 'public' routes need no account; 'signedIn' any role. */
export type Access = 'public' | 'signedIn' | 'technician' | 'administrator';

export function roleAllows(role: TechnicianRole, access: Access): boolean {
  switch (access) {
    case 'public':
    case 'signedIn':
      return true;
    case 'technician':
      return role === 'technician' || role === 'administrator';
    case 'administrator':
      return role === 'administrator';
  }
}

export interface Principal {
  technicianId: string;
  username: string;
  displayName: string | null;
  role: TechnicianRole;
  /** How the request proved who it is: cookie sessions need a CSRF token on writes, API tokens do not. */
  via: 'session' | 'api_token';
  /** The session's CSRF token (session principals only), embedded in pages for the scripts. */
  csrfToken: string | null;
  /** Session principals: when the session last proved a second factor (step-up reads it; see step-up.ts). */
  secondFactorAt?: Date | null;
  /** Session principals: the session may only enrol a second factor (an administrator requires one). */
  enrolmentOnly?: boolean;
}

export function actorLabel(principal: Pick<Principal, 'username'>): string {
  return principal.username;
}
