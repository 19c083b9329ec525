// Graph resources as data: path, $select, page size, throttling family and a parser that turns
// Microsoft's JSON into typed, validated records. A record Microsoft sends that does not fit
// (no id, wrong types) is skipped with a reason — never a crash, never a half-filled record.
// Field lists and shapes follow the Graph v1.0 reference (https://learn.microsoft.com/en-us/graph/api/overview) and the recorded
// responses in test/integration/emulator-graph/microsoft-examples/.

/** Throttling families (https://learn.microsoft.com/en-us/graph/throttling-limits): each has its own per-tenant limit. */
export type ThrottleFamily = 'identity' | 'intune' | 'reports' | 'partner';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface GraphResource<T> {
  /** Short name for logs and skip reasons ("users"). */
  name: string;
  /** Path under the version, with a leading slash ("/users"). */
  path: string;
  version?: 'v1.0' | 'beta';
  select?: readonly string[];
  /** $top; omitted for endpoints that refuse it (users/delta). */
  pageSize?: number;
  filter?: string;
  /** Extra request headers (e.g. ConsistencyLevel), re-sent on every page (Graph does not carry them in nextLink). */
  headers?: Record<string, string>;
  family: ThrottleFamily;
  parse(raw: unknown): Parsed<T>;
}

// ---------------------------------------------------------------------------------------
// Small readers: each returns undefined for a missing/null value and throws FieldError for a
// value of the wrong type, which the record parser turns into a skip reason.

class FieldError extends Error {}
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function str(o: Obj, key: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new FieldError(`${key} is not a string`);
  return v;
}
function reqStr(o: Obj, key: string): string {
  const v = str(o, key);
  if (!v) throw new FieldError(`${key} is missing`);
  return v;
}
function bool(o: Obj, key: string): boolean | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw new FieldError(`${key} is not a boolean`);
  return v;
}
function num(o: Obj, key: string): number | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FieldError(`${key} is not a number`);
  return v;
}
function strings(o: Obj, key: string): string[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new FieldError(`${key} is not a list of strings`);
  return v as string[];
}
/** Graph's "no date" forms: null, "", and 0001-01-01T00:00:00Z (signInActivity, E:inactive). */
function date(o: Obj, key: string): string | null {
  const v = str(o, key);
  if (!v || v.startsWith('0001-01-01')) return null;
  if (Number.isNaN(Date.parse(v))) throw new FieldError(`${key} is not a date`);
  return new Date(v).toISOString();
}
function obj(o: Obj, key: string): Obj | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw new FieldError(`${key} is not an object`);
  return v;
}
function list(o: Obj, key: string): Obj[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => !isObj(x))) throw new FieldError(`${key} is not a list of objects`);
  return v as Obj[];
}

function parser<T>(name: string, build: (o: Obj) => T): (raw: unknown) => Parsed<T> {
  return (raw) => {
    if (!isObj(raw)) return { ok: false, reason: `${name}: not an object` };
    try {
      return { ok: true, value: build(raw) };
    } catch (error) {
      if (error instanceof FieldError) {
        const id = typeof raw.id === 'string' ? ` ${raw.id}` : '';
        return { ok: false, reason: `${name}${id}: ${error.message}` };
      }
      throw error;
    }
  };
}

// ---------------------------------------------------------------------------------------
// Users

export interface SignInActivity {
  lastSignInDateTime?: string | null;
  lastNonInteractiveSignInDateTime?: string | null;
  /** Preferred: the last sign-in that succeeded (2023+ Graph). */
  lastSuccessfulSignInDateTime?: string | null;
}

/**
 * Graph `user`, the properties docsync $selects: the one user type from the parser through
 * staging to documentation. The parser sets every property; records read back from staging (an
 * older version's, a delta merge's, a world file's) may lack some, hence optional.
 */
export interface GraphUser {
  id: string;
  userPrincipalName: string;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  jobTitle?: string | null;
  /** The user's department (issue 17: user lists filter by it). */
  department?: string | null;
  mail?: string | null;
  businessPhones?: string[] | null;
  mobilePhone?: string | null;
  proxyAddresses?: string[] | null;
  otherMails?: string[] | null;
  userType?: string | null;
  accountEnabled?: boolean | null;
  createdDateTime?: string | null;
  lastPasswordChangeDateTime?: string | null;
  assignedLicenses?: Array<{ skuId: string; disabledPlans?: string[] }> | null;
  /** undefined: not asked for / not readable; null: never signed in (or before April 2020). */
  signInActivity?: SignInActivity | null;
}

export const USER_SELECT = [
  'id',
  'displayName',
  'givenName',
  'surname',
  'jobTitle',
  'department',
  'mail',
  'userPrincipalName',
  'businessPhones',
  'mobilePhone',
  'proxyAddresses',
  'otherMails',
  'userType',
  'accountEnabled',
  'createdDateTime',
  'lastPasswordChangeDateTime',
  'assignedLicenses',
] as const;

export const parseUser = parser<GraphUser>('user', (o) => {
  const user: GraphUser = {
    id: reqStr(o, 'id'),
    displayName: str(o, 'displayName'),
    givenName: str(o, 'givenName'),
    surname: str(o, 'surname'),
    jobTitle: str(o, 'jobTitle'),
    department: str(o, 'department'),
    mail: str(o, 'mail'),
    userPrincipalName: reqStr(o, 'userPrincipalName'),
    businessPhones: strings(o, 'businessPhones'),
    mobilePhone: str(o, 'mobilePhone'),
    proxyAddresses: strings(o, 'proxyAddresses'),
    otherMails: strings(o, 'otherMails'),
    userType: str(o, 'userType'),
    accountEnabled: bool(o, 'accountEnabled'),
    createdDateTime: date(o, 'createdDateTime'),
    lastPasswordChangeDateTime: date(o, 'lastPasswordChangeDateTime'),
    assignedLicenses: list(o, 'assignedLicenses').map((l) => ({ skuId: reqStr(l, 'skuId'), disabledPlans: strings(l, 'disabledPlans') })),
  };
  if ('signInActivity' in o) {
    const activity = obj(o, 'signInActivity');
    user.signInActivity = activity
      ? {
          lastSignInDateTime: date(activity, 'lastSignInDateTime'),
          lastNonInteractiveSignInDateTime: date(activity, 'lastNonInteractiveSignInDateTime'),
          lastSuccessfulSignInDateTime: date(activity, 'lastSuccessfulSignInDateTime'),
        }
      : null;
  }
  return user;
});

/** A users/delta item: `id` and only the properties Microsoft sent (absent = unchanged). */
export type GraphUserChange = Partial<GraphUser> & { id: string };

/**
 * users/delta items are partial (Microsoft Learn, "user: delta": "updated instances are
 * represented by their id with at least the properties that have been updated"; a property never
 * set is absent; with `Prefer: return=minimal` only changed properties come). Only `id` is
 * required, and only the keys present in the JSON are set, so a merge never overwrites a stored
 * value with a default. A key present with null is a value cleared in Microsoft.
 */
export const parseUserChange = parser<GraphUserChange>('user change', (o) => {
  const change: GraphUserChange = { id: reqStr(o, 'id') };
  const set = <K extends keyof GraphUser>(key: K, read: (o: Obj, key: string) => GraphUser[K]) => {
    if (key in o) change[key] = read(o, key);
  };
  set('displayName', str);
  set('givenName', str);
  set('surname', str);
  set('jobTitle', str);
  set('department', str);
  set('mail', str);
  // A user principal name is never cleared: a null one is no change.
  if (typeof o.userPrincipalName === 'string' && o.userPrincipalName) change.userPrincipalName = o.userPrincipalName;
  else if (o.userPrincipalName !== undefined && o.userPrincipalName !== null) throw new FieldError('userPrincipalName is not a string');
  set('businessPhones', strings);
  set('mobilePhone', str);
  set('proxyAddresses', strings);
  set('otherMails', strings);
  set('userType', str);
  set('accountEnabled', bool);
  set('createdDateTime', date);
  set('lastPasswordChangeDateTime', date);
  if ('assignedLicenses' in o) {
    const licenses = list(o, 'assignedLicenses');
    change.assignedLicenses = licenses.map((l) => ({ skuId: reqStr(l, 'skuId'), disabledPlans: strings(l, 'disabledPlans') }));
  }
  return change;
});

/** Users in pages of 999 (the documented maximum). */
export const usersResource: GraphResource<GraphUser> = {
  name: 'users',
  path: '/users',
  select: USER_SELECT,
  pageSize: 999,
  family: 'identity',
  parse: parseUser,
};
/** A user's licences only: what an on-demand licence refresh reads (issue 17). */
export interface GraphUserLicenses {
  id: string;
  assignedLicenses: GraphUser['assignedLicenses'];
}
export const parseUserLicenses = parser<GraphUserLicenses>('user licences', (o) => ({
  id: reqStr(o, 'id'),
  assignedLicenses: list(o, 'assignedLicenses').map((l) => ({ skuId: reqStr(l, 'skuId'), disabledPlans: strings(l, 'disabledPlans') })),
}));
/** Users with nothing but their licences, in pages of 999: a small read for "refresh licences now". */
export const userLicensesResource: GraphResource<GraphUserLicenses> = {
  name: 'users (licences)',
  path: '/users',
  select: ['id', 'assignedLicenses'],
  pageSize: 999,
  family: 'identity',
  parse: parseUserLicenses,
};
/** With signInActivity Graph caps pages at 500 and needs AuditLog.Read.All + Entra ID P1. */
export const usersWithSignInResource: GraphResource<GraphUser> = {
  name: 'users (with sign-in activity)',
  path: '/users',
  select: [...USER_SELECT, 'signInActivity'],
  pageSize: 500,
  family: 'identity',
  parse: parseUser,
};
/**
 * users/delta: no $top (refused), signInActivity not supported in delta. Items are partial
 * (parseUserChange); `Prefer: return=minimal` asks for only the changed properties, which is what
 * the merge relies on anyway (absence = unchanged) and keeps the pages small.
 */
export const DELTA_PREFER = 'return=minimal';
export const usersDeltaResource: GraphResource<GraphUserChange> = {
  name: 'users (delta)',
  path: '/users/delta',
  select: USER_SELECT,
  headers: { Prefer: DELTA_PREFER },
  family: 'identity',
  parse: parseUserChange,
};

// ---------------------------------------------------------------------------------------
// Groups (exclusions)

export interface GraphGroup {
  id: string;
  displayName: string | null;
}
export const parseGroup = parser<GraphGroup>('group', (o) => ({ id: reqStr(o, 'id'), displayName: str(o, 'displayName') }));
export const groupsResource: GraphResource<GraphGroup> = {
  name: 'groups',
  path: '/groups',
  select: ['id', 'displayName'],
  pageSize: 999,
  family: 'identity',
  parse: parseGroup,
};
export function groupMembersResource(groupId: string): GraphResource<{ id: string }> {
  return {
    name: 'group members',
    // The OData cast keeps only users (members are directoryObjects).
    path: `/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user`,
    select: ['id'],
    pageSize: 999,
    family: 'identity',
    parse: parser('group member', (o) => ({ id: reqStr(o, 'id') })),
  };
}

/** The signed-in account's security groups, nested ones included (the GDAP service account's). */
export const myGroupsResource: GraphResource<{ id: string }> = {
  name: "the service account's groups",
  path: '/me/transitiveMemberOf/microsoft.graph.group',
  select: ['id'],
  pageSize: 999,
  family: 'identity',
  parse: parser('group', (o) => ({ id: reqStr(o, 'id').toLowerCase() })),
};

// ---------------------------------------------------------------------------------------
// Intune managed devices

/** Graph `managedDevice` (Intune); optional for the reason GraphUser says. */
export interface GraphManagedDevice {
  id: string;
  deviceName?: string | null;
  userId?: string | null;
  userPrincipalName?: string | null;
  managedDeviceOwnerType?: string | null;
  enrolledDateTime?: string | null;
  lastSyncDateTime?: string | null;
  operatingSystem?: string | null;
  osVersion?: string | null;
  complianceState?: string | null;
  model?: string | null;
  manufacturer?: string | null;
  serialNumber?: string | null;
  azureADDeviceId?: string | null;
}
export const MANAGED_DEVICE_SELECT = [
  'id',
  'deviceName',
  'userId',
  'userPrincipalName',
  'managedDeviceOwnerType',
  'enrolledDateTime',
  'lastSyncDateTime',
  'operatingSystem',
  'osVersion',
  'complianceState',
  'model',
  'manufacturer',
  'serialNumber',
  'azureADDeviceId',
] as const;
export const parseManagedDevice = parser<GraphManagedDevice>('managedDevice', (o) => ({
  id: reqStr(o, 'id'),
  deviceName: str(o, 'deviceName'),
  userId: str(o, 'userId') || null,
  userPrincipalName: str(o, 'userPrincipalName') || null,
  managedDeviceOwnerType: str(o, 'managedDeviceOwnerType'),
  enrolledDateTime: date(o, 'enrolledDateTime'),
  lastSyncDateTime: date(o, 'lastSyncDateTime'),
  operatingSystem: str(o, 'operatingSystem'),
  osVersion: str(o, 'osVersion'),
  complianceState: str(o, 'complianceState'),
  model: str(o, 'model'),
  manufacturer: str(o, 'manufacturer'),
  serialNumber: str(o, 'serialNumber'),
  azureADDeviceId: str(o, 'azureADDeviceId'),
}));
// Max $top for managedDevices is not documented (https://learn.microsoft.com/en-us/graph/api/intune-devices-manageddevice-list):
// let Graph choose the page.
export const managedDevicesResource: GraphResource<GraphManagedDevice> = {
  name: 'managedDevices',
  path: '/deviceManagement/managedDevices',
  select: MANAGED_DEVICE_SELECT,
  family: 'intune',
  parse: parseManagedDevice,
};

// ---------------------------------------------------------------------------------------
// Licenses, organization, domains

/** Graph `subscribedSku`; optional for the reason GraphUser says. */
export interface GraphSubscribedSku {
  id?: string;
  skuId: string;
  skuPartNumber?: string | null;
  appliesTo?: string | null;
  capabilityStatus?: string | null;
  consumedUnits?: number | null;
  prepaidUnits?: { enabled?: number | null; suspended?: number | null; warning?: number | null; lockedOut?: number | null } | null;
}
export const parseSubscribedSku = parser<GraphSubscribedSku>('subscribedSku', (o) => {
  const prepaid = obj(o, 'prepaidUnits') ?? {};
  return {
    id: reqStr(o, 'id'),
    skuId: reqStr(o, 'skuId'),
    skuPartNumber: reqStr(o, 'skuPartNumber'),
    appliesTo: str(o, 'appliesTo'),
    capabilityStatus: str(o, 'capabilityStatus'),
    consumedUnits: num(o, 'consumedUnits') ?? 0,
    prepaidUnits: {
      enabled: num(prepaid, 'enabled') ?? 0,
      suspended: num(prepaid, 'suspended') ?? 0,
      warning: num(prepaid, 'warning') ?? 0,
      lockedOut: num(prepaid, 'lockedOut') ?? 0,
    },
  };
});
export const subscribedSkusResource: GraphResource<GraphSubscribedSku> = {
  name: 'subscribedSkus',
  path: '/subscribedSkus',
  select: ['id', 'skuId', 'skuPartNumber', 'appliesTo', 'capabilityStatus', 'consumedUnits', 'prepaidUnits'],
  family: 'identity',
  parse: parseSubscribedSku,
};

export interface VerifiedDomain {
  name: string;
  isDefault: boolean;
  isInitial: boolean;
}
export interface GraphOrganization {
  id: string;
  displayName: string | null;
  verifiedDomains: VerifiedDomain[];
}
export const parseOrganization = parser<GraphOrganization>('organization', (o) => ({
  id: reqStr(o, 'id'),
  displayName: str(o, 'displayName'),
  verifiedDomains: list(o, 'verifiedDomains').map((d) => ({
    name: reqStr(d, 'name'),
    isDefault: bool(d, 'isDefault') ?? false,
    isInitial: bool(d, 'isInitial') ?? false,
  })),
}));
export const organizationResource: GraphResource<GraphOrganization> = {
  name: 'organization',
  path: '/organization',
  select: ['id', 'displayName', 'verifiedDomains'],
  family: 'identity',
  parse: parseOrganization,
};

/** Graph `domain`: `id` is the domain name. */
export interface GraphDomain {
  id: string;
  isDefault?: boolean | null;
  isInitial?: boolean | null;
  isVerified?: boolean | null;
}
export const parseDomain = parser<GraphDomain>('domain', (o) => ({
  id: reqStr(o, 'id'),
  isDefault: bool(o, 'isDefault') ?? false,
  isInitial: bool(o, 'isInitial') ?? false,
  isVerified: bool(o, 'isVerified') ?? false,
}));
export const domainsResource: GraphResource<GraphDomain> = { name: 'domains', path: '/domains', family: 'identity', parse: parseDomain };

// ---------------------------------------------------------------------------------------
// GDAP (partner tenant)

export interface DelegatedAdminRelationship {
  id: string;
  displayName: string | null;
  status: string;
  customer: { tenantId: string; displayName: string | null };
  roleDefinitionIds: string[];
  duration: string | null;
  autoExtendDuration: string | null;
  activatedDateTime: string | null;
  endDateTime: string | null;
}
export const parseRelationship = parser<DelegatedAdminRelationship>('delegatedAdminRelationship', (o) => {
  const customer = obj(o, 'customer');
  if (!customer) throw new FieldError('customer is missing');
  return {
    id: reqStr(o, 'id'),
    displayName: str(o, 'displayName'),
    status: reqStr(o, 'status'),
    customer: { tenantId: reqStr(customer, 'tenantId').toLowerCase(), displayName: str(customer, 'displayName') },
    roleDefinitionIds: list(obj(o, 'accessDetails') ?? {}, 'unifiedRoles').map((r) => reqStr(r, 'roleDefinitionId').toLowerCase()),
    duration: str(o, 'duration'),
    autoExtendDuration: str(o, 'autoExtendDuration'),
    activatedDateTime: date(o, 'activatedDateTime'),
    endDateTime: date(o, 'endDateTime'),
  };
});
export const relationshipsResource: GraphResource<DelegatedAdminRelationship> = {
  name: 'delegatedAdminRelationships',
  path: '/tenantRelationships/delegatedAdminRelationships',
  pageSize: 300,
  family: 'partner',
  parse: parseRelationship,
};

export interface DelegatedAdminAccessAssignment {
  id: string;
  status: string;
  securityGroupId: string | null;
  roleDefinitionIds: string[];
}
export const parseAccessAssignment = parser<DelegatedAdminAccessAssignment>('accessAssignment', (o) => ({
  id: reqStr(o, 'id'),
  status: reqStr(o, 'status'),
  securityGroupId: str(obj(o, 'accessContainer') ?? {}, 'accessContainerId'),
  roleDefinitionIds: list(obj(o, 'accessDetails') ?? {}, 'unifiedRoles').map((r) => reqStr(r, 'roleDefinitionId').toLowerCase()),
}));
export function accessAssignmentsResource(relationshipId: string): GraphResource<DelegatedAdminAccessAssignment> {
  return {
    name: 'accessAssignments',
    path: `/tenantRelationships/delegatedAdminRelationships/${encodeURIComponent(relationshipId)}/accessAssignments`,
    pageSize: 300,
    family: 'partner',
    parse: parseAccessAssignment,
  };
}

export interface DelegatedAdminCustomer {
  tenantId: string;
  displayName: string | null;
}
export const parseCustomer = parser<DelegatedAdminCustomer>('delegatedAdminCustomer', (o) => ({
  tenantId: (str(o, 'tenantId') ?? reqStr(o, 'id')).toLowerCase(),
  displayName: str(o, 'displayName'),
}));
export const customersResource: GraphResource<DelegatedAdminCustomer> = {
  name: 'delegatedAdminCustomers',
  path: '/tenantRelationships/delegatedAdminCustomers',
  pageSize: 300,
  family: 'partner',
  parse: parseCustomer,
};

export interface GraphContract {
  customerId: string;
  displayName: string | null;
  defaultDomainName: string | null;
  contractType: string | null;
}
export const parseContract = parser<GraphContract>('contract', (o) => ({
  customerId: reqStr(o, 'customerId').toLowerCase(),
  displayName: str(o, 'displayName'),
  defaultDomainName: str(o, 'defaultDomainName'),
  contractType: str(o, 'contractType'),
}));
export const contractsResource: GraphResource<GraphContract> = {
  name: 'contracts',
  path: '/contracts',
  family: 'identity',
  parse: parseContract,
};

// ---------------------------------------------------------------------------------------
// Reports

/** admin/reportSettings: the doc sample wraps the object in "value"; accept both. */
export function parseReportSettings(raw: unknown): Parsed<{ displayConcealedNames: boolean }> {
  const body = isObj(raw) && isObj(raw.value) ? raw.value : raw;
  if (!isObj(body) || typeof body.displayConcealedNames !== 'boolean')
    return { ok: false, reason: 'reportSettings: displayConcealedNames missing' };
  return { ok: true, value: { displayConcealedNames: body.displayConcealedNames } };
}

export interface MailboxUsageRow {
  userPrincipalName: string;
  displayName?: string | null;
  isDeleted?: boolean | null;
  createdDate?: string | null;
  lastActivityDate?: string | null;
  itemCount?: number | null;
  storageUsedBytes?: number | null;
  issueWarningQuotaBytes?: number | null;
  prohibitSendQuotaBytes?: number | null;
  prohibitSendReceiveQuotaBytes?: number | null;
  deletedItemCount?: number | null;
  deletedItemSizeBytes?: number | null;
  /** Only in the 17-column form (beta / newer v1.0). */
  hasArchive?: boolean | null;
  /** "Recipient Type" (UserMailbox, SharedMailbox, RoomMailbox, EquipmentMailbox…); null when the report has no such column. */
  recipientType?: string | null;
  reportRefreshDate?: string | null;
}

/** Parses getMailboxUsageDetail CSV (15 or 17 columns, optional BOM, quoted fields). */
export function parseMailboxUsageCsv(csv: string): { rows: MailboxUsageRow[]; skipped: string[] } {
  const records = parseCsv(csv.replace(/^\uFEFF/, ''));
  const header = records.shift();
  if (!header) return { rows: [], skipped: [] };
  const index = new Map(header.map((name, i) => [name.trim(), i]));
  const cell = (record: string[], name: string): string | null => {
    const i = index.get(name);
    const value = i === undefined ? undefined : record[i];
    return value === undefined || value.trim() === '' ? null : value.trim();
  };
  const number = (record: string[], name: string) => {
    const v = cell(record, name);
    const n = v === null ? null : Number(v);
    return n === null || Number.isFinite(n) ? n : null;
  };
  const rows: MailboxUsageRow[] = [];
  const skipped: string[] = [];
  if (!index.has('User Principal Name')) return { rows, skipped: ['mailbox usage: the CSV has no "User Principal Name" column'] };
  records.forEach((record, i) => {
    if (record.length === 1 && record[0] === '') return;
    const upn = cell(record, 'User Principal Name');
    if (!upn) {
      skipped.push(`mailbox usage row ${i + 2}: no user principal name`);
      return;
    }
    rows.push({
      userPrincipalName: upn,
      displayName: cell(record, 'Display Name'),
      isDeleted: (cell(record, 'Is Deleted') ?? '').toLowerCase() === 'true',
      createdDate: cell(record, 'Created Date'),
      lastActivityDate: cell(record, 'Last Activity Date'),
      itemCount: number(record, 'Item Count'),
      storageUsedBytes: number(record, 'Storage Used (Byte)'),
      issueWarningQuotaBytes: number(record, 'Issue Warning Quota (Byte)'),
      prohibitSendQuotaBytes: number(record, 'Prohibit Send Quota (Byte)'),
      prohibitSendReceiveQuotaBytes: number(record, 'Prohibit Send/Receive Quota (Byte)'),
      deletedItemCount: number(record, 'Deleted Item Count'),
      deletedItemSizeBytes: number(record, 'Deleted Item Size (Byte)'),
      hasArchive: index.has('Has Archive') ? (cell(record, 'Has Archive') ?? '').toLowerCase() === 'true' : null,
      recipientType: cell(record, 'Recipient Type'),
      reportRefreshDate: cell(record, 'Report Refresh Date'),
    });
  });
  return { rows, skipped };
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}
