// Inactivity, one definition for every page, export and report (issue 17). A user is:
// - "disabled" when the account is disabled (its own state: a blocked account is not "inactive");
// - "active" when any readable source saw them within the integration's inactive days: a sign-in
//   (interactive or non-interactive, signInActivity: needs Entra ID P1/P2 and AuditLog.Read.All),
//   activity in any Microsoft 365 service (getOffice365ActiveUserDetail, the email activity and
//   mailbox usage reports: Reports.Read.All, names not concealed) or an Intune device check-in;
//   a user created within those days and never seen is active too (they just started);
// - "inactive" when the readable sources saw nothing within those days;
// - "unknown" only when no source is readable, and then `missing` says which and why.
// Microsoft's own guidance reads both sign-in dates
// (https://learn.microsoft.com/entra/identity/monitoring-health/howto-manage-inactive-user-accounts).
import { DAY_MS } from '../time.ts';

export type InactivityState = 'active' | 'inactive' | 'disabled' | 'unknown';
export type EvidenceSource = 'signIn' | 'appActivity' | 'deviceCheckIn';

export interface Evidence {
  source: EvidenceSource;
  /** What the date is, in words: "interactive sign-in", "Teams", "device LAPTOP-7". */
  label: string;
  at: string;
}

export interface MissingSource {
  source: EvidenceSource;
  reason: string;
}

export interface Inactivity {
  state: InactivityState;
  inactiveDays: number;
  /** The latest evidence of use, or null. */
  lastSeen: Evidence | null;
  /** Every dated piece of evidence read, newest first. */
  evidence: Evidence[];
  /** Sources docsync could not read for this tenant (shown beside the state). */
  missing: MissingSource[];
}

export interface InactivityInput {
  accountEnabled: boolean | null | undefined;
  createdDateTime?: string | null;
  signInActivity?: {
    lastSignInDateTime?: string | null;
    lastNonInteractiveSignInDateTime?: string | null;
    lastSuccessfulSignInDateTime?: string | null;
  } | null;
  /** Last activity dates per service (yyyy-mm-dd) from the usage reports. */
  serviceActivity?: Record<string, string | null | undefined> | null;
  deviceCheckIns?: Array<{ name: string; at: string | null | undefined }>;
}

/** What the tenant lets docsync read; false = not read, with the reason shown. */
export interface ReadableSources {
  signIn: boolean;
  appActivity: boolean;
  deviceCheckIn: boolean;
}

export const MISSING_REASONS: Record<EvidenceSource, string> = {
  signIn: 'last sign-in is not readable (needs Entra ID P1 or P2 in the tenant and the AuditLog.Read.All permission)',
  appActivity:
    'app activity is not readable (needs Reports.Read.All and a reports role; concealed report names cannot be matched to users)',
  deviceCheckIn: 'device check-ins are not readable (no Intune devices were read for this tenant)',
};

const SERVICE_LABELS: Record<string, string> = {
  exchange: 'Exchange',
  oneDrive: 'OneDrive',
  sharePoint: 'SharePoint',
  teams: 'Teams',
  yammer: 'Viva Engage (Yammer)',
  skype: 'Skype for Business',
  email: 'email',
  mailbox: 'mailbox',
};

/** Graph's "no date" forms: null, "", 0001-01-01… (signInActivity for never). */
function dated(value: string | null | undefined): string | null {
  if (typeof value !== 'string' || value === '' || value.startsWith('0001-01-01')) return null;
  return Number.isNaN(Date.parse(value)) ? null : value;
}

export function assessInactivity(input: InactivityInput, readable: ReadableSources, now: Date, inactiveDays: number): Inactivity {
  const evidence: Evidence[] = [];
  if (readable.signIn) {
    const s = input.signInActivity ?? null;
    // lastSignInDateTime includes failed interactive attempts; the successful one is preferred.
    const interactive = dated(s?.lastSuccessfulSignInDateTime) ?? dated(s?.lastSignInDateTime);
    if (interactive) evidence.push({ source: 'signIn', label: 'interactive sign-in', at: interactive });
    const nonInteractive = dated(s?.lastNonInteractiveSignInDateTime);
    if (nonInteractive) evidence.push({ source: 'signIn', label: 'non-interactive sign-in', at: nonInteractive });
  }
  if (readable.appActivity) {
    for (const [service, value] of Object.entries(input.serviceActivity ?? {})) {
      const at = dated(value);
      if (at) evidence.push({ source: 'appActivity', label: SERVICE_LABELS[service] ?? service, at });
    }
  }
  if (readable.deviceCheckIn) {
    for (const device of input.deviceCheckIns ?? []) {
      const at = dated(device.at);
      if (at) evidence.push({ source: 'deviceCheckIn', label: `device ${device.name}`, at });
    }
  }
  evidence.sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || a.label.localeCompare(b.label));
  const missing = (Object.keys(readable) as EvidenceSource[])
    .filter((source) => !readable[source])
    .map((source) => ({ source, reason: MISSING_REASONS[source] }));
  const lastSeen = evidence[0] ?? null;
  const base = { inactiveDays, lastSeen, evidence, missing };
  if (input.accountEnabled === false) return { state: 'disabled', ...base };
  if (missing.length === Object.keys(readable).length) return { state: 'unknown', ...base };
  const threshold = now.getTime() - inactiveDays * DAY_MS;
  const reference = lastSeen?.at ?? dated(input.createdDateTime);
  if (reference && Date.parse(reference) >= threshold) return { state: 'active', ...base };
  return { state: 'inactive', ...base };
}

/**
 * When an "active" user turns "inactive" by time alone (nothing new seen), or null: the
 * documentation derived now is valid until then (src/sync/fingerprint.ts).
 */
export function inactivityFlipsAt(result: Inactivity, createdDateTime: string | null | undefined): Date | null {
  if (result.state !== 'active') return null;
  const reference = result.lastSeen?.at ?? dated(createdDateTime);
  if (!reference) return null;
  return new Date(Date.parse(reference) + result.inactiveDays * DAY_MS);
}

/** The per-service dates of one staged activity row and mailbox row, for assessInactivity. */
export function serviceActivityOf(
  activity: { lastActivity?: Record<string, string | null> | null; email?: { lastActivityDate?: string | null } | null } | null | undefined,
  mailboxLastActivityDate: string | null | undefined,
): Record<string, string | null> {
  return {
    ...(activity?.lastActivity ?? {}),
    ...(activity?.email?.lastActivityDate ? { email: activity.email.lastActivityDate } : {}),
    ...(mailboxLastActivityDate ? { mailbox: mailboxLastActivityDate } : {}),
  };
}

/** The inactivity of every user of a tenant's staged data (src/stores/activity.ts). */
export function inactivityOfTenantUsers(
  data: {
    users: Array<{
      userId: string;
      userPrincipalName: string | null;
      accountEnabled: boolean | null;
      createdDateTime: string | null;
      signInActivity: InactivityInput['signInActivity'];
    }>;
    activity: Map<string, Parameters<typeof serviceActivityOf>[0]>;
    mailboxLastActivity: Map<string, string | null>;
    checkIns: Map<string, Array<{ name: string; at: string | null }>>;
    readable: ReadableSources;
  },
  now: Date,
  inactiveDays: number,
): Map<string, Inactivity> {
  const result = new Map<string, Inactivity>();
  for (const user of data.users) {
    const key = user.userPrincipalName?.trim().toLowerCase() ?? '';
    result.set(
      user.userId,
      assessInactivity(
        {
          accountEnabled: user.accountEnabled,
          createdDateTime: user.createdDateTime,
          signInActivity: user.signInActivity,
          serviceActivity: serviceActivityOf(data.activity.get(key), data.mailboxLastActivity.get(key)),
          deviceCheckIns: data.checkIns.get(user.userId),
        },
        data.readable,
        now,
        inactiveDays,
      ),
    );
  }
  return result;
}
