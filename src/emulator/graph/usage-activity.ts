// The app activity side of the usage reports: getEmailActivityUserDetail rows derived from the
// world's active-user rows (the Exchange activity date is the email activity date), and the
// activity a test or script sets for one user ("mailbox active yesterday"), which every usage
// report then shows. Columns: https://learn.microsoft.com/graph/api/reportroot-getemailactivityuserdetail
// (the 13-column form, with the meeting counts Microsoft added).
import { createHash } from 'node:crypto';
import type { ActiveUserRow, MailboxUsageRow, World } from '../world.ts';

export const EMAIL_ACTIVITY_COLUMNS = [
  'Report Refresh Date',
  'User Principal Name',
  'Display Name',
  'Is Deleted',
  'Deleted Date',
  'Last Activity Date',
  'Send Count',
  'Receive Count',
  'Read Count',
  'Meeting Created Count',
  'Meeting Interacted Count',
  'Assigned Products',
  'Report Period',
];

export interface EmailActivityWorldRow {
  userPrincipalName: string;
  displayName: string;
  isDeleted: boolean;
  deletedDate: string | null;
  lastActivityDate: string | null;
  sendCount: number;
  receiveCount: number;
  readCount: number;
  meetingCreatedCount: number;
  meetingInteractedCount: number;
  assignedProducts: string[];
}

/** Dates (yyyy-mm-dd) set for one user; null = no activity in the report's period. */
export interface UsageActivityPatch {
  exchange?: string | null;
  oneDrive?: string | null;
  sharePoint?: string | null;
  teams?: string | null;
  yammer?: string | null;
  skype?: string | null;
  /** The mailbox usage report's Last Activity Date. */
  mailbox?: string | null;
}

const patches = new WeakMap<World, Map<string, UsageActivityPatch>>();
const patchKey = (tenantId: string, upn: string) => `${tenantId.toLowerCase()}|${upn.toLowerCase()}`;

export function setUsageActivity(world: World, tenantId: string, userPrincipalName: string, patch: UsageActivityPatch): void {
  let map = patches.get(world);
  if (!map) patches.set(world, (map = new Map()));
  const key = patchKey(tenantId, userPrincipalName);
  map.set(key, { ...map.get(key), ...patch });
}

function patchOf(world: World, tenantId: string, upn: string): UsageActivityPatch | undefined {
  return patches.get(world)?.get(patchKey(tenantId, upn));
}

const pick = (patch: UsageActivityPatch | undefined, key: keyof UsageActivityPatch, value: string | null) =>
  patch && key in patch ? (patch[key] ?? null) : value;

export function withActivityPatches(world: World, tenantId: string, rows: ActiveUserRow[]): ActiveUserRow[] {
  return rows.map((r) => {
    const p = patchOf(world, tenantId, r.userPrincipalName);
    if (!p) return r;
    return {
      ...r,
      exchangeLastActivityDate: pick(p, 'exchange', r.exchangeLastActivityDate),
      oneDriveLastActivityDate: pick(p, 'oneDrive', r.oneDriveLastActivityDate),
      sharePointLastActivityDate: pick(p, 'sharePoint', r.sharePointLastActivityDate),
      teamsLastActivityDate: pick(p, 'teams', r.teamsLastActivityDate),
      yammerLastActivityDate: pick(p, 'yammer', r.yammerLastActivityDate),
      skypeForBusinessLastActivityDate: pick(p, 'skype', r.skypeForBusinessLastActivityDate),
    };
  });
}

export function withMailboxPatches(world: World, tenantId: string, rows: MailboxUsageRow[]): MailboxUsageRow[] {
  return rows.map((r) => {
    const p = patchOf(world, tenantId, r.userPrincipalName);
    return p && 'mailbox' in p ? { ...r, lastActivityDate: p.mailbox ?? null } : r;
  });
}

/** Deterministic counts from the user principal name: the same world answers the same report. */
function counts(upn: string): Pick<EmailActivityWorldRow, 'sendCount' | 'receiveCount' | 'readCount'> & {
  meetingCreatedCount: number;
  meetingInteractedCount: number;
} {
  const h = createHash('sha256').update(`email:${upn.toLowerCase()}`).digest();
  return {
    sendCount: h.readUInt16BE(0) % 400,
    receiveCount: 50 + (h.readUInt16BE(2) % 1500),
    readCount: h.readUInt16BE(4) % 1200,
    meetingCreatedCount: h[6]! % 12,
    meetingInteractedCount: h[7]! % 30,
  };
}

/** Users with an Exchange licence; counts only where the user was active in the period. */
export function emailActivityRows(world: World, tenantId: string): EmailActivityWorldRow[] {
  return withActivityPatches(world, tenantId, world.activeUserDetail(tenantId))
    .filter((r) => r.hasExchangeLicense)
    .map((r) => {
      const active = r.exchangeLastActivityDate !== null;
      const c = active
        ? counts(r.userPrincipalName)
        : { sendCount: 0, receiveCount: 0, readCount: 0, meetingCreatedCount: 0, meetingInteractedCount: 0 };
      return {
        userPrincipalName: r.userPrincipalName,
        displayName: r.displayName,
        isDeleted: r.isDeleted,
        deletedDate: r.deletedDate,
        lastActivityDate: r.exchangeLastActivityDate,
        ...c,
        assignedProducts: r.assignedProducts,
      };
    });
}
