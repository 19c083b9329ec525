// MFA coverage per tenant (issue 17): the share of enabled member users with an MFA method
// registered, as reports/authenticationMethods/userRegistrationDetails says. "Not available"
// (null coverage, with the reason) where the report cannot be read: no Entra ID P1/P2 in the
// tenant, or docsync lacks AuditLog.Read.All / a reports role there; never a made-up 0 %.
import type { Kysely } from 'kysely';
import type { Database, TenantMfaState } from '../db/schema.ts';
import { mfaCounts, mfaStatusOf, userMfaRows, type UserMfaFilter, type UserMfaRow } from '../stores/mfa.ts';

export type { UserMfaRow } from '../stores/mfa.ts';

/** Narrows a tenant's MFA report to a group (nested groups too), a department or a name. */
export type MfaReportFilter = Pick<UserMfaFilter, 'group' | 'department' | 'search'>;

/** Coverage 0..1 from counts; null when the report is not readable or nobody counts. */
function coverageOf(state: TenantMfaState | null, enabledMembers: number, registered: number): number | null {
  if (state !== 'available' || enabledMembers === 0) return null;
  return registered / enabledMembers;
}

/**
 * Tenant row id → MFA coverage (0..1), null where it cannot be read (no licence, missing
 * permission, never read). Every tenant when `tenantIds` is left out. One query for all tenants.
 */
export async function mfaCoverageByTenant(db: Kysely<Database>, tenantIds?: string[]): Promise<Map<string, number | null>> {
  const counts = await mfaCounts(db, tenantIds);
  return new Map(counts.map((c) => [c.tenantId, coverageOf(c.state, c.enabledMembers, c.registered)]));
}

export type MfaAvailability =
  | { available: true }
  | { available: false; reason: 'no_license' | 'permission_missing' | 'not_read_yet'; message: string; action: string | null };

export interface TenantMfaReport {
  availability: MfaAvailability;
  /** 0..1, null when not available or no enabled member users. */
  coverage: number | null;
  enabledMembers: number;
  registered: number;
  adminsWithoutMfa: number;
  /** Admins without MFA first, then users without MFA, then the rest. */
  users: UserMfaRow[];
}

const NOT_READ_YET = 'docsync has not read MFA registration for this tenant yet; it does at the next sync.';

/** Counted as mfaCounts counts (src/stores/mfa.ts): enabled users whose userType is Member or unset. */
const isEnabledMember = (u: UserMfaRow) => u.accountEnabled !== false && (u.userType ?? 'Member') === 'Member';

export async function tenantMfaReport(db: Kysely<Database>, tenantId: string, filter: MfaReportFilter = {}): Promise<TenantMfaReport> {
  const [status, [counts], users] = await Promise.all([
    mfaStatusOf(db, tenantId),
    mfaCounts(db, [tenantId]),
    userMfaRows(db, tenantId, filter),
  ]);
  // Narrowed to a group, department or name, the coverage is that of the users shown.
  const narrowed = Boolean(filter.group || filter.department || filter.search?.trim());
  const members = users.filter(isEnabledMember);
  const enabledMembers = narrowed ? members.length : (counts?.enabledMembers ?? 0);
  const registered = narrowed ? members.filter((u) => u.registered === true).length : (counts?.registered ?? 0);
  const availability: MfaAvailability =
    status?.state === 'available'
      ? { available: true }
      : status
        ? { available: false, reason: status.state, message: status.reason ?? '', action: status.action }
        : { available: false, reason: 'not_read_yet', message: NOT_READ_YET, action: null };
  const readable = availability.available;
  return {
    availability,
    coverage: coverageOf(status?.state ?? null, enabledMembers, registered),
    enabledMembers,
    registered: readable ? registered : 0,
    adminsWithoutMfa: readable ? users.filter((u) => u.isAdmin && u.registered !== true && u.accountEnabled !== false).length : 0,
    // What a report that cannot be read last said is not shown as today's truth.
    users: readable ? users : [],
  };
}

/** One user's MFA for the contact overlay; null when the tenant's report is not readable. */
export async function userMfa(
  db: Kysely<Database>,
  tenantId: string,
  userId: string,
): Promise<{
  available: boolean;
  reason: string | null;
  registered: boolean | null;
  capable: boolean | null;
  isAdmin: boolean;
  methods: string[];
  defaultMethod: string | null;
}> {
  const status = await mfaStatusOf(db, tenantId);
  if (status?.state !== 'available')
    return {
      available: false,
      reason: status?.reason ?? NOT_READ_YET,
      registered: null,
      capable: null,
      isAdmin: false,
      methods: [],
      defaultMethod: null,
    };
  const [row] = await userMfaRows(db, tenantId, { userId });
  return {
    available: true,
    reason: null,
    registered: row?.registered ?? null,
    capable: row?.capable ?? null,
    isAdmin: row?.isAdmin ?? false,
    methods: row?.methods ?? [],
    defaultMethod: row?.defaultMethod ?? null,
  };
}
