// reports/authenticationMethods/userRegistrationDetails as a Graph resource: each user's MFA
// registration (https://learn.microsoft.com/en-us/graph/api/authenticationmethodsroot-list-userregistrationdetails).
// AuditLog.Read.All with a reports role (Reports Reader, Security Reader, Global Reader), and
// Entra ID P1/P2 in the tenant; without the licence Graph answers 403
// Authentication_RequestFromNonPremiumTenantOrB2CTenant (see NO_PREMIUM_LICENSE_CODE).
import type { GraphResource, Parsed } from './resources.ts';

/** Graph's code for "this tenant has no Entra ID P1/P2" on premium reports. */
export const NO_PREMIUM_LICENSE_CODE = 'Authentication_RequestFromNonPremiumTenantOrB2CTenant';

export interface GraphUserRegistration {
  id: string;
  userPrincipalName: string | null;
  userDisplayName: string | null;
  isAdmin: boolean;
  isMfaRegistered: boolean;
  isMfaCapable: boolean;
  methodsRegistered: string[];
  /** What the user is asked for second: the system-preferred method when that is on, else the user's choice; null: none. */
  defaultMethod: string | null;
  userType: string | null;
  lastUpdatedDateTime: string | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
/** "none", "" and unknownFutureValue name no method. */
const method = (v: unknown) => {
  const value = text(v);
  return value && value !== 'none' && value !== 'unknownFutureValue' ? value : null;
};

export function parseUserRegistration(raw: unknown): Parsed<GraphUserRegistration> {
  if (!isObject(raw)) return { ok: false, reason: 'userRegistrationDetails: not an object' };
  const id = text(raw.id);
  if (!id) return { ok: false, reason: 'userRegistrationDetails: id is missing' };
  for (const key of ['isAdmin', 'isMfaRegistered', 'isMfaCapable'] as const) {
    if (raw[key] !== undefined && raw[key] !== null && typeof raw[key] !== 'boolean')
      return { ok: false, reason: `userRegistrationDetails ${id}: ${key} is not a boolean` };
  }
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s !== '') : []);
  const systemPreferred =
    raw.isSystemPreferredAuthenticationMethodEnabled === true ? method(list(raw.systemPreferredAuthenticationMethods)[0]) : null;
  return {
    ok: true,
    value: {
      id,
      userPrincipalName: text(raw.userPrincipalName),
      userDisplayName: text(raw.userDisplayName),
      isAdmin: raw.isAdmin === true,
      isMfaRegistered: raw.isMfaRegistered === true,
      isMfaCapable: raw.isMfaCapable === true,
      methodsRegistered: list(raw.methodsRegistered),
      defaultMethod: systemPreferred ?? method(raw.userPreferredMethodForSecondaryAuthentication),
      userType: text(raw.userType),
      lastUpdatedDateTime: text(raw.lastUpdatedDateTime),
    },
  };
}

/** No $select or $top (only $filter and $orderby are supported); Graph chooses the page size. */
export const userRegistrationDetailsResource: GraphResource<GraphUserRegistration> = {
  name: 'MFA registration (userRegistrationDetails)',
  path: '/reports/authenticationMethods/userRegistrationDetails',
  family: 'identity',
  parse: parseUserRegistration,
};
