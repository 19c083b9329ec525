// The app activity phase of a tenant sync (issue 17): getOffice365ActiveUserDetail (last activity
// per service) and getEmailActivityUserDetail (email counts), merged per user principal name and
// staged in ms_user_activity. Both reports are daily data read on the mailbox report's schedule
// (REPORT_INTERVAL_HOURS), and only when report names are not concealed: concealed names are
// hashes that match no user (the same rule as the mailbox report, see tenant-sync.ts). Both must
// arrive whole before anything is staged, so a failed read keeps the previous activity.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ActiveUserDetailRow, EmailActivityRow } from '../microsoft/usage-reports.ts';
import { stageRecords, type StagedInput } from '../stores/staging.ts';
import type { StagedUserActivity } from '../stores/activity.ts';
import type { TenantSource } from '../microsoft/tenant-reader.ts';

export type { StagedUserActivity };

export function mergeActivityReports(active: ActiveUserDetailRow[], email: EmailActivityRow[]): StagedInput[] {
  const byKey = new Map<string, StagedUserActivity>();
  const entry = (upn: string) => {
    const key = upn.trim().toLowerCase();
    let e = byKey.get(key);
    if (!e) byKey.set(key, (e = { userPrincipalName: upn.trim(), reportRefreshDate: null, lastActivity: null, email: null }));
    return e;
  };
  for (const row of active) {
    if (row.isDeleted) continue;
    const e = entry(row.userPrincipalName);
    e.lastActivity = row.lastActivity;
    e.reportRefreshDate = row.reportRefreshDate ?? e.reportRefreshDate;
  }
  for (const row of email) {
    if (row.isDeleted) continue;
    const { userPrincipalName, isDeleted: _deleted, reportRefreshDate, ...counts } = row;
    const e = entry(userPrincipalName);
    e.email = counts;
    e.reportRefreshDate = e.reportRefreshDate ?? reportRefreshDate;
  }
  return [...byKey].map(([key, data]) => ({ key, data: { ...data } }));
}

export async function syncAppActivity(
  db: Kysely<Database>,
  input: {
    tenantId: string;
    source: TenantSource;
    now: Date;
    /** tenant-sync's resource(): logs a tenant-scope failure and answers undefined. */
    resource: <T>(label: string, fetch: () => Promise<T>) => Promise<T | undefined>;
  },
): Promise<number | undefined> {
  const { source } = input;
  if (!source.activeUserDetail || !source.emailActivity) return undefined;
  const active = await input.resource('activity', () => source.activeUserDetail!());
  if (!active) return undefined;
  const email = await input.resource('activity', () => source.emailActivity!());
  if (!email) return undefined;
  const records = mergeActivityReports(active, email);
  await stageRecords(db, 'ms_user_activity', input.tenantId, records, { complete: true, now: input.now });
  return records.length;
}
