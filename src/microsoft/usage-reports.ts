// The two usage reports app activity comes from, parsed from their CSV by column name (Microsoft
// adds columns over time: getEmailActivityUserDetail gained "Meeting Created Count" and
// "Meeting Interacted Count"). Dates are yyyy-mm-dd; an empty cell is "no activity in the period".
// https://learn.microsoft.com/graph/api/reportroot-getoffice365activeuserdetail
// https://learn.microsoft.com/graph/api/reportroot-getemailactivityuserdetail
import { MicrosoftError } from './errors.ts';
import { parseCsv } from './resources.ts';

/** The services getOffice365ActiveUserDetail reports a last activity date for. */
export const ACTIVITY_SERVICES = ['exchange', 'oneDrive', 'sharePoint', 'teams', 'yammer', 'skype'] as const;
export type ActivityService = (typeof ACTIVITY_SERVICES)[number];

const SERVICE_COLUMN: Record<ActivityService, string> = {
  exchange: 'Exchange Last Activity Date',
  oneDrive: 'OneDrive Last Activity Date',
  sharePoint: 'SharePoint Last Activity Date',
  teams: 'Teams Last Activity Date',
  yammer: 'Yammer Last Activity Date',
  skype: 'Skype For Business Last Activity Date',
};

export interface ActiveUserDetailRow {
  userPrincipalName: string;
  displayName: string | null;
  isDeleted: boolean;
  lastActivity: Record<ActivityService, string | null>;
  reportRefreshDate: string | null;
}

export interface EmailActivityRow {
  userPrincipalName: string;
  isDeleted: boolean;
  lastActivityDate: string | null;
  sendCount: number | null;
  receiveCount: number | null;
  readCount: number | null;
  meetingCreatedCount: number | null;
  meetingInteractedCount: number | null;
  reportPeriod: number | null;
  reportRefreshDate: string | null;
}

interface Table {
  rows: string[][];
  cell(record: string[], name: string): string | null;
  number(record: string[], name: string): number | null;
  date(record: string[], name: string): string | null;
}

function table(csv: string, report: string): Table {
  const records = parseCsv(csv.replace(/^\uFEFF/, ''));
  const header = records.shift() ?? [];
  const index = new Map(header.map((name, i) => [name.trim(), i]));
  if (!index.has('User Principal Name'))
    throw new MicrosoftError(
      'graph_request_failed',
      'tenant',
      `the ${report} report has no "User Principal Name" column`,
      'try again later; report it if it persists',
    );
  const cell = (record: string[], name: string): string | null => {
    const i = index.get(name);
    const value = i === undefined ? undefined : record[i];
    return value === undefined || value.trim() === '' ? null : value.trim();
  };
  return {
    rows: records.filter((r) => !(r.length === 1 && r[0] === '')),
    cell,
    number(record, name) {
      const v = cell(record, name);
      const n = v === null ? null : Number(v);
      return n === null || !Number.isFinite(n) ? null : n;
    },
    date(record, name) {
      const v = cell(record, name);
      return v !== null && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null;
    },
  };
}

const isTrue = (value: string | null) => (value ?? '').toLowerCase() === 'true';

export function parseActiveUserDetailCsv(csv: string): ActiveUserDetailRow[] {
  const t = table(csv, 'getOffice365ActiveUserDetail');
  const rows: ActiveUserDetailRow[] = [];
  for (const record of t.rows) {
    const upn = t.cell(record, 'User Principal Name');
    if (!upn) continue;
    const lastActivity = Object.fromEntries(ACTIVITY_SERVICES.map((s) => [s, t.date(record, SERVICE_COLUMN[s])])) as Record<
      ActivityService,
      string | null
    >;
    rows.push({
      userPrincipalName: upn,
      displayName: t.cell(record, 'Display Name'),
      isDeleted: isTrue(t.cell(record, 'Is Deleted')),
      lastActivity,
      reportRefreshDate: t.date(record, 'Report Refresh Date'),
    });
  }
  return rows;
}

export function parseEmailActivityCsv(csv: string): EmailActivityRow[] {
  const t = table(csv, 'getEmailActivityUserDetail');
  const rows: EmailActivityRow[] = [];
  for (const record of t.rows) {
    const upn = t.cell(record, 'User Principal Name');
    if (!upn) continue;
    rows.push({
      userPrincipalName: upn,
      isDeleted: isTrue(t.cell(record, 'Is Deleted')),
      lastActivityDate: t.date(record, 'Last Activity Date'),
      sendCount: t.number(record, 'Send Count'),
      receiveCount: t.number(record, 'Receive Count'),
      readCount: t.number(record, 'Read Count'),
      meetingCreatedCount: t.number(record, 'Meeting Created Count'),
      meetingInteractedCount: t.number(record, 'Meeting Interacted Count'),
      reportPeriod: t.number(record, 'Report Period'),
      reportRefreshDate: t.date(record, 'Report Refresh Date'),
    });
  }
  return rows;
}
