// The MFA step of a tenant sync (issue 17): reads userRegistrationDetails and stores it.
// - Readable: the rows are stored (compare-before-write: an unchanged tenant writes nothing).
// - No Entra ID P1/P2 (403 Authentication_RequestFromNonPremiumTenantOrB2CTenant): the tenant's
//   MFA is "not available" for that reason; an info line, the run is not partial for it.
// - Refused (403 Authorization_RequestDenied: no AuditLog.Read.All, or no reports role in GDAP):
//   "not available" for that reason; a warning with the role to add, the run ends partial.
// - Anything else (throttled out, Graph down): nothing is changed, the run ends partial.
// Stored rows are never deleted by a failure.
import type { Kysely } from 'kysely';
import type { Database, Tenant } from '../db/schema.ts';
import { isMicrosoftError } from '../microsoft/errors.ts';
import { NO_PREMIUM_LICENSE_CODE } from '../microsoft/authentication-methods.ts';
import { saveRegistrationDetails, setMfaStatus, type RegistrationWrites } from '../stores/mfa.ts';
import type { SyncLogEntry } from './sync-log.ts';
import type { TenantSource } from '../microsoft/tenant-reader.ts';

export interface MfaPhaseResult {
  /** The resource failed: the run is partial. */
  failed: boolean;
  log: SyncLogEntry[];
  writes: RegistrationWrites | null;
}

export const MFA_NO_LICENSE = 'the tenant has no Entra ID P1 or P2 licence, which the MFA registration report needs';
export const MFA_NO_LICENSE_ACTION = 'nothing to fix in docsync: MFA registration becomes readable once the customer has Entra ID P1 or P2';
export const MFA_PERMISSION_MISSING = 'docsync may not read the MFA registration report (it needs AuditLog.Read.All and a reports role)';
export const MFA_PERMISSION_ACTION =
  "consent docsync's AuditLog.Read.All permission and give the GDAP service account's group Global Reader " +
  "(or Reports Reader / Security Reader) in the customer's relationship";

export async function syncMfaRegistration(
  deps: { db: Kysely<Database>; now: () => Date; signal?: AbortSignal },
  input: { tenant: Tenant; source: TenantSource },
): Promise<MfaPhaseResult> {
  const { db, now } = deps;
  const { tenant, source } = input;
  const name = tenant.display_name;
  if (!source.userRegistrationDetails) return { failed: false, log: [], writes: null };
  try {
    const rows = await source.userRegistrationDetails();
    const writes = await saveRegistrationDetails(db, tenant.id, rows, now());
    await setMfaStatus(db, tenant.id, { state: 'available', reason: null, action: null }, now());
    return { failed: false, log: [], writes };
  } catch (error) {
    if (!isMicrosoftError(error) || error.scope === 'partner' || deps.signal?.aborted) throw error;
    if (error.code === 'permission_missing' && error.details.upstreamCode === NO_PREMIUM_LICENSE_CODE) {
      await setMfaStatus(db, tenant.id, { state: 'no_license', reason: MFA_NO_LICENSE, action: MFA_NO_LICENSE_ACTION }, now());
      const message = `MFA registration of ${name} is not available: ${MFA_NO_LICENSE}`;
      return {
        failed: false,
        log: [{ tenantId: tenant.id, level: 'info', code: 'mfa_not_available', message, action: MFA_NO_LICENSE_ACTION }],
        writes: null,
      };
    }
    if (error.code === 'permission_missing' && error.details.httpStatus === 403) {
      await setMfaStatus(
        db,
        tenant.id,
        { state: 'permission_missing', reason: MFA_PERMISSION_MISSING, action: MFA_PERMISSION_ACTION },
        now(),
      );
      return {
        failed: true,
        log: [
          {
            tenantId: tenant.id,
            level: 'warning',
            code: 'mfa_not_synced',
            message:
              `MFA registration of ${name} is not available: ${MFA_PERMISSION_MISSING} ` + `(${error.details.upstreamCode ?? 'Forbidden'})`,
            action: MFA_PERMISSION_ACTION,
          },
        ],
        writes: null,
      };
    }
    return {
      failed: true,
      log: [
        {
          tenantId: tenant.id,
          level: 'warning',
          code: 'mfa_not_synced',
          message: `MFA registration of ${name} was not synced: ${error.message}; the previous data is kept`,
          action: error.action ?? null,
        },
      ],
      writes: null,
    };
  }
}
