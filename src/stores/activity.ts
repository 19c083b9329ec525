// SQL for app activity and inactivity (issue 17): the staged users, usage-report activity,
// mailbox activity and device check-ins of one tenant, and the integration's inactive days.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { syncSettingsOf } from '../sync/settings.ts';
import type { ActiveUserDetailRow, EmailActivityRow } from '../microsoft/usage-reports.ts';

type Db = Kysely<Database>;

/** What ms_user_activity.data holds (the sync stages it: src/sync/app-activity.ts). */
export interface StagedUserActivity {
  userPrincipalName: string;
  reportRefreshDate: string | null;
  lastActivity: ActiveUserDetailRow['lastActivity'] | null;
  email: Omit<EmailActivityRow, 'userPrincipalName' | 'isDeleted' | 'reportRefreshDate'> | null;
}

/**
 * What the tenant lets docsync read; false = not read, with the reason shown. The inactivity
 * report (src/reports/inactivity.ts) takes the same shape: stores sit below reports, so it is
 * defined here.
 */
export interface ReadableSources {
  signIn: boolean;
  appActivity: boolean;
  deviceCheckIn: boolean;
}

export interface TenantUserFacts {
  userId: string;
  userPrincipalName: string | null;
  displayName: string | null;
  accountEnabled: boolean | null;
  createdDateTime: string | null;
  signInActivity: Record<string, string | null> | null;
  skuIds: string[];
}

export interface TenantActivityData {
  users: TenantUserFacts[];
  /** By lower-case user principal name. */
  activity: Map<string, StagedUserActivity>;
  mailboxLastActivity: Map<string, string | null>;
  /** By user id. */
  checkIns: Map<string, Array<{ name: string; at: string | null }>>;
  readable: ReadableSources;
}

// pg and PGlite parse jsonb; a driver handing back text is parsed here.
const parseJson = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Everything inactivity is judged from, for the present users of a tenant (or only `userIds`). */
export async function loadTenantActivityData(db: Db, tenantId: string, userIds?: string[]): Promise<TenantActivityData> {
  let usersQuery = db
    .selectFrom('ms_users')
    .select(['user_id', 'data', sql<boolean>`data ? 'signInActivity'`.as('has_sign_in')])
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null);
  if (userIds) usersQuery = userIds.length ? usersQuery.where('user_id', 'in', userIds) : usersQuery.where(sql<boolean>`false`);
  const userRows = await usersQuery.orderBy('user_id').execute();
  const users = userRows.map((r): TenantUserFacts => {
    const d = (parseJson(r.data) ?? {}) as Record<string, unknown>;
    return {
      userId: r.user_id,
      userPrincipalName: str(d.userPrincipalName),
      displayName: str(d.displayName),
      accountEnabled: typeof d.accountEnabled === 'boolean' ? d.accountEnabled : null,
      createdDateTime: str(d.createdDateTime),
      signInActivity: d.signInActivity && typeof d.signInActivity === 'object' ? (d.signInActivity as Record<string, string | null>) : null,
      skuIds: (Array.isArray(d.assignedLicenses) ? d.assignedLicenses : [])
        .map((l) => str((l as Record<string, unknown>)?.skuId)?.toLowerCase())
        .filter((s): s is string => !!s),
    };
  });
  const activityRows = await db
    .selectFrom('ms_user_activity')
    .select(['user_principal_name', 'data'])
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .execute();
  const mailboxRows = await db
    .selectFrom('ms_mailboxes')
    .select(['user_principal_name', sql<string | null>`data->>'lastActivityDate'`.as('last')])
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .execute();
  const deviceRows = await db
    .selectFrom('ms_managed_devices')
    .select([
      sql<string | null>`data->>'userId'`.as('user_id'),
      sql<string | null>`coalesce(data->>'deviceName', device_id)`.as('name'),
      sql<string | null>`data->>'lastSyncDateTime'`.as('at'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .execute();
  const checkIns = new Map<string, Array<{ name: string; at: string | null }>>();
  for (const d of deviceRows) {
    if (!d.user_id) continue;
    const list = checkIns.get(d.user_id) ?? [];
    list.push({ name: d.name ?? '', at: d.at });
    checkIns.set(d.user_id, list);
  }
  const signIn =
    userIds === undefined
      ? userRows.some((r) => r.has_sign_in)
      : (
          await db
            .selectFrom('ms_users')
            .select('user_id')
            .where('tenant_id', '=', tenantId)
            .where(sql<boolean>`data ? 'signInActivity'`)
            .limit(1)
            .execute()
        ).length > 0;
  const anyDevice =
    deviceRows.length > 0 ||
    (await db.selectFrom('ms_managed_devices').select('device_id').where('tenant_id', '=', tenantId).limit(1).execute()).length > 0;
  return {
    users,
    activity: new Map(activityRows.map((r) => [r.user_principal_name, parseJson(r.data) as StagedUserActivity])),
    mailboxLastActivity: new Map(mailboxRows.map((r) => [r.user_principal_name, r.last])),
    checkIns,
    readable: { signIn, appActivity: activityRows.length > 0 || mailboxRows.length > 0, deviceCheckIn: anyDevice },
  };
}

/** The tenant's integration's inactive days, or the installation's default. */
export async function inactiveDaysOfTenant(db: Db, tenantId: string, fallback: number): Promise<number> {
  const row = await db
    .selectFrom('tenants')
    .innerJoin('integrations', 'integrations.id', 'tenants.integration_id')
    .select('integrations.settings')
    .where('tenants.id', '=', tenantId)
    .executeTakeFirst();
  return (row ? syncSettingsOf(row.settings).inactiveDays : null) ?? fallback;
}
