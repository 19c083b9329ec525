// Microsoft 365 usage reports and admin/reportSettings.
// v1.0 answers 302 Found (Content-Type text/plain) with a Location on reports.office.com that
// needs no Authorization and lives a few minutes; the download is CSV (application/octet-stream)
// with exactly the header of Microsoft's example files (no BOM, LF). beta also answers JSON with
// $format=application/json (test/integration/emulator-graph/microsoft-examples/reports-*.beta.json). Concealed names: when the tenant's
// reportSettings say so, user names become 32-char upper-case hex hashes (the format is not
// documented on https://learn.microsoft.com/en-us/graph/api/adminreportsettings-update; general knowledge).

import { createHash } from 'node:crypto';
import type { ActiveUserRow, MailboxUsageRow, World } from '../world.ts';
import { contextUrl, type GraphRequest, type GraphResponse, type GraphRoute, type GraphServices } from './context.ts';
import { badRequest } from './errors.ts';
import { parseTop, queryValue } from './odata.ts';
import { pageByOffset } from './paging.ts';
import { authorize, PERMISSIONS } from './permissions.ts';
import { DAY_MS } from '../../time.ts';
import { EMAIL_ACTIVITY_COLUMNS, emailActivityRows, withActivityPatches, withMailboxPatches } from './usage-activity.ts';

type ReportName = 'getMailboxUsageDetail' | 'getOffice365ActiveUserDetail' | 'getEmailActivityUserDetail';
const PERIODS = new Set(['D7', 'D30', 'D90', 'D180']);
const DOWNLOAD_LIFETIME_MS = 5 * 60_000;

const MAILBOX_V1_COLUMNS = [
  'Report Refresh Date',
  'User Principal Name',
  'Display Name',
  'Is Deleted',
  'Deleted Date',
  'Created Date',
  'Last Activity Date',
  'Item Count',
  'Storage Used (Byte)',
  'Issue Warning Quota (Byte)',
  'Prohibit Send Quota (Byte)',
  'Prohibit Send/Receive Quota (Byte)',
  'Deleted Item Count',
  'Deleted Item Size (Byte)',
  'Report Period',
];
const MAILBOX_BETA_COLUMNS = [...MAILBOX_V1_COLUMNS.slice(0, -1), 'Deleted Item Quota (Byte)', 'Has Archive', 'Report Period'];
// The service's downloads carry "Recipient Type" (Exchange's RecipientTypeDetails: UserMailbox,
// SharedMailbox, RoomMailbox, EquipmentMailbox) before "Report Period", beyond the doc's example
// header; it is how a client tells shared, room and equipment mailboxes from people's.
const withRecipientType = (columns: string[]) => [...columns.slice(0, -1), 'Recipient Type', 'Report Period'];
const ACTIVE_USER_COLUMNS = [
  'Report Refresh Date',
  'User Principal Name',
  'Display Name',
  'Is Deleted',
  'Deleted Date',
  'Has Exchange License',
  'Has OneDrive License',
  'Has SharePoint License',
  'Has Skype For Business License',
  'Has Yammer License',
  'Has Teams License',
  'Exchange Last Activity Date',
  'OneDrive Last Activity Date',
  'SharePoint Last Activity Date',
  'Skype For Business Last Activity Date',
  'Yammer Last Activity Date',
  'Teams Last Activity Date',
  'Exchange License Assign Date',
  'OneDrive License Assign Date',
  'SharePoint License Assign Date',
  'Skype For Business License Assign Date',
  'Yammer License Assign Date',
  'Teams License Assign Date',
  'Assigned Products',
];

interface DownloadEntry {
  tenantId: string;
  report: ReportName;
  version: 'v1.0' | 'beta';
  period: string;
  expiresAt: number;
}

export interface ReportStore {
  create(entry: Omit<DownloadEntry, 'expiresAt'>): string;
  take(id: string): DownloadEntry | undefined;
}

export function createReportStore(clock: { now(): Date }, instanceId: string): ReportStore {
  const entries = new Map<string, DownloadEntry>();
  let counter = 0;
  return {
    create(entry) {
      const now = clock.now().getTime();
      for (const [id, e] of entries) if (e.expiresAt <= now) entries.delete(id);
      const id = createHash('sha256').update(`${instanceId}:${++counter}`).digest('base64url').slice(0, 28);
      entries.set(id, { ...entry, expiresAt: now + DOWNLOAD_LIFETIME_MS });
      return id;
    },
    take(id) {
      const e = entries.get(id);
      if (!e || e.expiresAt <= clock.now().getTime()) return undefined;
      return e;
    },
  };
}

function parseArguments(raw: string, report: ReportName): { period: string } {
  const period = /^period='?(\w+)'?$/i.exec(raw.trim());
  if (period) {
    const value = period[1] as string;
    if (!PERIODS.has(value)) throw badRequest(`Invalid value '${value}' for period. Supported values: D7, D30, D90, D180.`);
    return { period: value };
  }
  const date = /^date=(\d{4}-\d{2}-\d{2})$/i.exec(raw.trim());
  if (date && report !== 'getMailboxUsageDetail') return { period: 'D7' };
  throw badRequest(`Either period or date must be specified for ${report}.`);
}

export function concealedName(tenantId: string, value: string): string {
  return createHash('md5').update(`${tenantId}:${value.toLowerCase()}`).digest('hex').toUpperCase();
}

function mailboxRows(world: World, tenantId: string): MailboxUsageRow[] {
  const rows = withMailboxPatches(world, tenantId, world.mailboxUsage(tenantId));
  if (!world.reportsConcealed(tenantId)) return rows;
  return rows.map((r) => ({
    ...r,
    userPrincipalName: concealedName(tenantId, r.userPrincipalName),
    displayName: concealedName(tenantId, `name:${r.userPrincipalName}`),
  }));
}

function activeRows(world: World, tenantId: string): ActiveUserRow[] {
  const rows = withActivityPatches(world, tenantId, world.activeUserDetail(tenantId));
  if (!world.reportsConcealed(tenantId)) return rows;
  return rows.map((r) => ({
    ...r,
    userPrincipalName: concealedName(tenantId, r.userPrincipalName),
    displayName: concealedName(tenantId, `name:${r.userPrincipalName}`),
  }));
}

function emailRows(world: World, tenantId: string) {
  const rows = emailActivityRows(world, tenantId);
  if (!world.reportsConcealed(tenantId)) return rows;
  return rows.map((r) => ({
    ...r,
    userPrincipalName: concealedName(tenantId, r.userPrincipalName),
    displayName: concealedName(tenantId, `name:${r.userPrincipalName}`),
  }));
}

function refreshDate(world: World): string {
  return new Date(world.anchor.getTime() - DAY_MS).toISOString().slice(0, 10);
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderReportCsv(world: World, entry: Pick<DownloadEntry, 'tenantId' | 'report' | 'version' | 'period'>): string {
  const refreshed = refreshDate(world);
  const days = entry.period.slice(1);
  const lines: string[] = [];
  if (entry.report === 'getMailboxUsageDetail') {
    const beta = entry.version === 'beta';
    lines.push(withRecipientType(beta ? MAILBOX_BETA_COLUMNS : MAILBOX_V1_COLUMNS).join(','));
    for (const r of mailboxRows(world, entry.tenantId)) {
      const cells: unknown[] = [
        refreshed,
        r.userPrincipalName,
        r.displayName,
        r.isDeleted,
        r.deletedDate,
        r.createdDate,
        r.lastActivityDate,
        r.itemCount,
        r.storageUsedInBytes,
        r.issueWarningQuotaInBytes,
        r.prohibitSendQuotaInBytes,
        r.prohibitSendReceiveQuotaInBytes,
        r.deletedItemCount,
        r.deletedItemSizeInBytes,
      ];
      if (beta) cells.push(r.deletedItemQuotaInBytes, r.hasArchive);
      cells.push(r.recipientType, days);
      lines.push(cells.map(csvCell).join(','));
    }
  } else if (entry.report === 'getEmailActivityUserDetail') {
    lines.push(EMAIL_ACTIVITY_COLUMNS.join(','));
    for (const r of emailRows(world, entry.tenantId)) {
      const cells: unknown[] = [
        refreshed,
        r.userPrincipalName,
        r.displayName,
        r.isDeleted,
        r.deletedDate,
        r.lastActivityDate,
        r.sendCount,
        r.receiveCount,
        r.readCount,
        r.meetingCreatedCount,
        r.meetingInteractedCount,
        r.assignedProducts.join('+'),
        days,
      ];
      lines.push(cells.map(csvCell).join(','));
    }
  } else {
    lines.push(ACTIVE_USER_COLUMNS.join(','));
    for (const r of activeRows(world, entry.tenantId)) {
      lines.push(
        [
          refreshed,
          r.userPrincipalName,
          r.displayName,
          r.isDeleted,
          r.deletedDate,
          r.hasExchangeLicense,
          r.hasOneDriveLicense,
          r.hasSharePointLicense,
          r.hasSkypeForBusinessLicense,
          r.hasYammerLicense,
          r.hasTeamsLicense,
          r.exchangeLastActivityDate,
          r.oneDriveLastActivityDate,
          r.sharePointLastActivityDate,
          r.skypeForBusinessLastActivityDate,
          r.yammerLastActivityDate,
          r.teamsLastActivityDate,
          r.exchangeLicenseAssignDate,
          r.oneDriveLicenseAssignDate,
          r.sharePointLicenseAssignDate,
          r.skypeForBusinessLicenseAssignDate,
          r.yammerLicenseAssignDate,
          r.teamsLicenseAssignDate,
          r.assignedProducts.join('+'),
        ]
          .map(csvCell)
          .join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function report(request: GraphRequest, services: GraphServices, name: ReportName, args: string, store: ReportStore): GraphResponse {
  authorize(request, services, PERMISSIONS.reports);
  const { period } = parseArguments(args, name);
  const format = queryValue(request, '$format');
  if (request.version === 'beta' && format === 'application/json') {
    const { world } = services;
    const refreshed = refreshDate(world);
    const rows: Array<Record<string, unknown>> =
      name === 'getMailboxUsageDetail'
        ? mailboxRows(world, request.tenantId).map((r) => ({
            reportRefreshDate: refreshed,
            userPrincipalName: r.userPrincipalName,
            displayName: r.displayName,
            isDeleted: r.isDeleted,
            deletedDate: r.deletedDate,
            createdDate: r.createdDate,
            lastActivityDate: r.lastActivityDate,
            itemCount: r.itemCount,
            storageUsedInBytes: r.storageUsedInBytes,
            deletedItemCount: r.deletedItemCount,
            deletedItemSizeInBytes: r.deletedItemSizeInBytes,
            deletedItemQuota: r.deletedItemQuotaInBytes,
            hasArchive: r.hasArchive,
            issueWarningQuotaInBytes: r.issueWarningQuotaInBytes,
            prohibitSendQuotaInBytes: r.prohibitSendQuotaInBytes,
            prohibitSendReceiveQuotaInBytes: r.prohibitSendReceiveQuotaInBytes,
            recipientType: r.recipientType,
            reportPeriod: period.slice(1),
          }))
        : name === 'getEmailActivityUserDetail'
          ? emailRows(world, request.tenantId).map((r) => ({ reportRefreshDate: refreshed, ...r, reportPeriod: period.slice(1) }))
          : activeRows(world, request.tenantId).map((r) => ({ reportRefreshDate: refreshed, ...r }));
    const top = parseTop(request, { default: 200, max: 200 });
    const page = pageByOffset(request, services, `report-${name}`, rows, top);
    const type =
      name === 'getMailboxUsageDetail'
        ? 'mailboxUsageDetail'
        : name === 'getEmailActivityUserDetail'
          ? 'emailActivityUserDetail'
          : 'office365ActiveUserDetail';
    const body: Record<string, unknown> = { '@odata.context': contextUrl(services, request, `Collection(microsoft.graph.${type})`) };
    if (page.nextLink) body['@odata.nextLink'] = page.nextLink;
    body.value = page.page;
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body };
  }
  if (format !== undefined && format !== 'text/csv') throw badRequest(`Invalid $format value '${format}'.`);
  const id = store.create({ tenantId: request.tenantId, report: name, version: request.version, period });
  // Microsoft's Location is on another host (reports.office.com): the download origin, not Graph's.
  const downloadBase = services.reportDownloads?.baseUrl() ?? services.graphBaseUrl();
  return { status: 302, headers: { 'Content-Type': 'text/plain', Location: `${downloadBase}/_reports/download/${id}` }, body: '' };
}

function reportSettings(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, PERMISSIONS.reportSettingsRead);
  // The doc sample wraps the object in "value" (examples/adminReportSettings.txt); the service
  // returns the entity itself, which is what clients read.
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: {
      '@odata.context': contextUrl(services, request, 'admin/reportSettings/$entity'),
      '@odata.type': '#microsoft.graph.adminReportSettings',
      id: 'default',
      displayConcealedNames: services.world.reportsConcealed(request.tenantId),
    },
  };
}

function updateReportSettings(request: GraphRequest, services: GraphServices): GraphResponse {
  authorize(request, services, PERMISSIONS.reportSettingsWrite);
  const value = (request.body as { displayConcealedNames?: unknown } | null | undefined)?.displayConcealedNames;
  if (typeof value !== 'boolean') throw badRequest("The request body must set 'displayConcealedNames' to true or false.");
  services.world.setReportsConcealed(request.tenantId, value);
  return { status: 204 };
}

export function reportRoutes(store: ReportStore): GraphRoute[] {
  return [
    {
      method: 'GET',
      pattern: /^reports\/(getMailboxUsageDetail|getOffice365ActiveUserDetail|getEmailActivityUserDetail)\((.*)\)$/,
      handler: (r, m, s) => report(r, s, m[1] as ReportName, m[2] as string, store),
    },
    { method: 'GET', pattern: /^admin\/reportSettings\/?$/, handler: (r, _m, s) => reportSettings(r, s) },
    { method: 'PATCH', pattern: /^admin\/reportSettings\/?$/, handler: (r, _m, s) => updateReportSettings(r, s) },
  ];
}
