// Fixed vocabularies for the world: company and person names (awkward on purpose), the real
// SKU and service-plan ids docsync will meet (copied from Microsoft's licensing CSV, see
// https://learn.microsoft.com/en-us/entra/identity/users/licensing-service-plan-reference), and Entra role template ids used by GDAP.

/** The first customers are fixed so demos and tests can name them; the rest are generated. */
export const FIXED_COMPANY_NAMES = [
  'Contoso, Ltd.',
  'Contoso Health',
  'Fabrikam, Inc.',
  'Northwind Traders GmbH',
  'Adventure Works Cycles',
  "O'Brien & Søns A/S",
  'Société Générale des Eaux Minérales S.A.',
  'Tailspin Toys (UK) Ltd',
  'Müller-Lüdenscheid AG',
  'Woodgrove Bank plc',
] as const;

export const COMPANY_STEMS = [
  'Contoso',
  'Fabrikam',
  'Northwind',
  'Adventure Works',
  'Tailspin',
  'Wide World Importers',
  'Woodgrove',
  'Litware',
  'Proseware',
  'Alpine Ski House',
  'Blue Yonder',
  'Coho Winery',
  'Lucerne Publishing',
  "Margie's Travel",
  'Trey Research',
  'Fourth Coffee',
  'Humongous Insurance',
  'Relecloud',
  'Wingtip',
  'A. Datum',
  'Bellows',
  'Café Olé',
  'Ødegaard & Sønner',
  'Zürich Präzision',
  'São Paulo Logística',
  'Smith-Jones',
  'VanArsdel',
  'Nod Publishers',
  'First Up Consultants',
  'Łódź Metal',
  'Crème Brûlée Co',
  'Dvořák Audio',
  'Grüne Energie',
  'Åkerlund Bygg',
  'Nguyễn Family Dental',
] as const;

export const COMPANY_SUFFIXES = [
  ', Ltd.',
  ' Ltd',
  ', Inc.',
  ' Inc.',
  ' LLC',
  ' GmbH',
  ' AG',
  ' S.A.',
  ' SARL',
  ' B.V.',
  ' Pty Ltd',
  ' plc',
  ' Health',
  ' Holdings',
  ' (UK) Ltd',
  ' AS',
  ' Oy',
  ' & Partners',
  '',
  ' Group',
] as const;

export const TOP_LEVEL_DOMAINS = ['.com', '.co.uk', '.de', '.fr', '.nl', '.com.au', '.no', '.ch', '.net', '.io'] as const;

export const GIVEN_NAMES = [
  'Adele',
  'Alex',
  'Åsa',
  'Björn',
  'Chloé',
  'Cameron',
  'Delia',
  'Diego',
  'Émile',
  'François',
  'Grady',
  'Henrietta',
  'Isaiah',
  'Joni',
  'José',
  'Lidia',
  'Łukasz',
  'Lynne',
  'Mallory',
  'Megan',
  'Miriam',
  'Nestor',
  'Patti',
  'Pradeep',
  'Renée',
  'Søren',
  'Zoë',
  'Siobhán',
  'Jürgen',
  'Ana María',
  'Mei',
  'Oluwaseun',
  'Raúl',
  'Ingrid',
  'Thảo',
  'Kwame',
  'Aoife',
  'Dmitrij',
  'Fatima',
  'Ines',
] as const;

export const SURNAMES = [
  'Vance',
  'Wilber',
  'White',
  'Dennis',
  'Cortez',
  'Sicilian',
  'Holloway',
  'Fernandez',
  'Bowen',
  'Müller',
  'García',
  "O'Neil",
  'van der Berg',
  'Dvořák',
  'Nguyễn',
  'Smith-Jones',
  'Lindqvist',
  'Østergaard',
  'Kowalski',
  'Ó Súilleabháin',
  'Adams',
  'Patel',
  'Okafor',
  'Brown',
  'Johansson',
  'de la Cruz',
  'Schröder',
  'Moreau',
  'Ikeda',
  'McDonald',
] as const;

export const JOB_TITLES = [
  'Accountant',
  'Sales Manager',
  'Marketing Assistant',
  'IT Administrator',
  'Receptionist',
  'CEO',
  'Office Manager',
  'Developer',
  'Support Engineer',
  'HR Generalist',
  null,
  null,
] as const;

export const DEPARTMENTS = ['Finance', 'Sales', 'Marketing', 'IT', 'Operations', 'HR', null] as const;

export const SHARED_MAILBOX_NAMES = ['Info', 'Reception', 'Accounts Payable', 'Support', 'Sales Inbox', 'Jobs', 'Invoices'] as const;
export const ROOM_NAMES = ['Conf Room Adams', 'Conf Room Baker', 'Boardroom', 'Meeting Room 1'] as const;
export const EQUIPMENT_NAMES = ['Projector 1', 'Pool Car', 'Camera Kit'] as const;
export const GUEST_MAIL_DOMAINS = ['gmail.com', 'outlook.com', 'partner-consulting.com', 'yahoo.co.uk'] as const;

export interface ServicePlan {
  servicePlanId: string;
  servicePlanName: string;
  appliesTo: 'User' | 'Company';
}

export interface SkuDefinition {
  skuId: string;
  skuPartNumber: string;
  productName: string;
  servicePlans: ServicePlan[];
  /** what the Office 365 active-user report derives per user */
  exchange: boolean;
  oneDrive: boolean;
  teams: boolean;
  /** includes Entra ID P1 (signInActivity needs it) */
  premium: boolean;
  intune: boolean;
}

const plan = (servicePlanId: string, servicePlanName: string, appliesTo: 'User' | 'Company' = 'User'): ServicePlan => ({
  servicePlanId,
  servicePlanName,
  appliesTo,
});
const EXCHANGE_S_STANDARD = plan('9aaf7827-d63c-4b61-89c3-182f06f82e5c', 'EXCHANGE_S_STANDARD');
const EXCHANGE_S_ENTERPRISE = plan('efb87545-963c-4e0d-99df-69c6916d9eb0', 'EXCHANGE_S_ENTERPRISE');
const EXCHANGE_S_FOUNDATION = plan('113feb6c-3fe4-4440-bddc-54d774bf0318', 'EXCHANGE_S_FOUNDATION', 'Company');
const AAD_PREMIUM = plan('41781fb2-bc02-4b7c-bd55-b576c07bb09d', 'AAD_PREMIUM');
const INTUNE_A = plan('c1ec4a95-1f05-45b3-a911-aa3fa01094f5', 'INTUNE_A');
const TEAMS1 = plan('57ff2da0-773e-42df-b2af-ffb7a2317929', 'TEAMS1');
const SHAREPOINTSTANDARD = plan('c7699d2e-19aa-44de-8edf-1736da088ca1', 'SHAREPOINTSTANDARD');
const SHAREPOINTENTERPRISE = plan('5dbe027f-2339-4123-9542-606e4d348a72', 'SHAREPOINTENTERPRISE');
const MCOSTANDARD = plan('0feaeb32-d00e-4d66-bd5a-43b5b83db82c', 'MCOSTANDARD');
const OFFICE_BUSINESS = plan('094e7854-93fc-4d55-b2c0-3ab5369ebdc1', 'OFFICE_BUSINESS');
const OFFICESUBSCRIPTION = plan('43de0ff5-c92c-492b-9116-175376d08c38', 'OFFICESUBSCRIPTION');
const YAMMER_ENTERPRISE = plan('7547a3fe-08ee-4ccb-b430-5077c5041653', 'YAMMER_ENTERPRISE');
const FLOW_P2_VIRAL = plan('50e68c76-46c6-4674-81f9-75456511b170', 'FLOW_P2_VIRAL');

function sku(skuId: string, skuPartNumber: string, productName: string, servicePlans: ServicePlan[]): SkuDefinition {
  const names = new Set(servicePlans.map((p) => p.servicePlanName));
  return {
    skuId,
    skuPartNumber,
    productName,
    servicePlans,
    exchange: names.has('EXCHANGE_S_STANDARD') || names.has('EXCHANGE_S_ENTERPRISE'),
    oneDrive: names.has('SHAREPOINTSTANDARD') || names.has('SHAREPOINTENTERPRISE'),
    teams: names.has('TEAMS1'),
    premium: names.has('AAD_PREMIUM'),
    intune: names.has('INTUNE_A'),
  };
}

export const SKUS = {
  SPB: sku('cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46', 'SPB', 'Microsoft 365 Business Premium', [
    EXCHANGE_S_STANDARD,
    EXCHANGE_S_FOUNDATION,
    AAD_PREMIUM,
    INTUNE_A,
    TEAMS1,
    SHAREPOINTSTANDARD,
    MCOSTANDARD,
    OFFICE_BUSINESS,
    YAMMER_ENTERPRISE,
  ]),
  O365_BUSINESS_PREMIUM: sku('f245ecc8-75af-4f8e-b61f-27d8114de5f3', 'O365_BUSINESS_PREMIUM', 'Microsoft 365 Business Standard', [
    EXCHANGE_S_STANDARD,
    TEAMS1,
    SHAREPOINTSTANDARD,
    MCOSTANDARD,
    OFFICE_BUSINESS,
    YAMMER_ENTERPRISE,
  ]),
  O365_BUSINESS_ESSENTIALS: sku('3b555118-da6a-4418-894f-7df1e2096870', 'O365_BUSINESS_ESSENTIALS', 'Microsoft 365 Business Basic', [
    EXCHANGE_S_STANDARD,
    TEAMS1,
    SHAREPOINTSTANDARD,
    MCOSTANDARD,
    YAMMER_ENTERPRISE,
  ]),
  ENTERPRISEPACK: sku('6fd2c87f-b296-42f0-b197-1e91e994b900', 'ENTERPRISEPACK', 'Office 365 E3', [
    EXCHANGE_S_ENTERPRISE,
    TEAMS1,
    SHAREPOINTENTERPRISE,
    MCOSTANDARD,
    OFFICESUBSCRIPTION,
    YAMMER_ENTERPRISE,
  ]),
  SPE_E3: sku('05e9a617-0261-4cee-bb44-138d3ef5d965', 'SPE_E3', 'Microsoft 365 E3', [
    EXCHANGE_S_ENTERPRISE,
    AAD_PREMIUM,
    INTUNE_A,
    TEAMS1,
    SHAREPOINTENTERPRISE,
    MCOSTANDARD,
    OFFICESUBSCRIPTION,
    YAMMER_ENTERPRISE,
  ]),
  EXCHANGESTANDARD: sku('4b9405b0-7788-4568-add1-99614e613b69', 'EXCHANGESTANDARD', 'Exchange Online (Plan 1)', [EXCHANGE_S_STANDARD]),
  AAD_PREMIUM: sku('078d2b04-f1bd-4111-bbd4-b4b1b354cef4', 'AAD_PREMIUM', 'Microsoft Entra ID P1', [AAD_PREMIUM, EXCHANGE_S_FOUNDATION]),
  FLOW_FREE: sku('f30db892-07e9-47e9-837c-80727f46fd3d', 'FLOW_FREE', 'Microsoft Power Automate Free', [
    EXCHANGE_S_FOUNDATION,
    FLOW_P2_VIRAL,
  ]),
} as const satisfies Record<string, SkuDefinition>;

export type SkuKey = keyof typeof SKUS;

/** Entra built-in role template ids (GDAP unifiedRoles). */
export const ROLES = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  directoryReaders: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  helpdeskAdministrator: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  exchangeAdministrator: '29232cdf-9323-42fd-ade2-1d097af3e4de',
  intuneAdministrator: '3a2c62db-5318-420d-8d74-23affee5d9d5',
  reportsReader: '4a5d8f65-41da-4de4-8968-e035b65339cf',
  securityReader: '5d6b6bb7-de71-4623-b4af-96380a352509',
  licenseAdministrator: '4d6ac14f-3453-41d0-bef9-a3e0c569773a',
  groupsAdministrator: 'fdd7a751-b60b-444a-984c-02652fe8fa1c',
  privilegedAuthenticationAdministrator: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
} as const;

/** Roles that may change an administrator's password or sessions (Learn: "Who can reset passwords"). */
export const PRIVILEGED_PASSWORD_ROLES: readonly string[] = [ROLES.globalAdministrator, ROLES.privilegedAuthenticationAdministrator];

/**
 * What each role lets a GDAP (delegated) caller do, as Graph permission names. Our own model of
 * Entra's role → permission mapping, coarse on purpose: enough that "the assignment lacks a
 * role" shows up as 403 on the endpoints that need it.
 */
export function permissionsGrantedByRole(roleDefinitionId: string, permission: string): boolean {
  const isRead = /\.Read(Basic)?\.All$/.test(permission) || permission === 'User.Read';
  switch (roleDefinitionId) {
    case ROLES.globalAdministrator:
      return true;
    case ROLES.globalReader:
      return isRead;
    case ROLES.directoryReaders:
      return isRead && /^(User|Group|GroupMember|Directory|Organization|Domain)\./.test(permission);
    case ROLES.userAdministrator:
      return (
        /^(User|Group|GroupMember|LicenseAssignment)\./.test(permission) ||
        permission.startsWith('User-') ||
        permission === 'Directory.Read.All'
      );
    case ROLES.licenseAdministrator:
      return permission === 'LicenseAssignment.ReadWrite.All' || (isRead && /^(User|Group|Organization)\./.test(permission));
    case ROLES.groupsAdministrator:
      return /^(Group|GroupMember)\./.test(permission) || (isRead && permission.startsWith('User.'));
    case ROLES.privilegedAuthenticationAdministrator:
      return (
        permission.startsWith('User-') ||
        permission === 'UserAuthenticationMethod.ReadWrite.All' ||
        permission === 'User.RevokeSessions.All' ||
        (isRead && permission.startsWith('User.'))
      );
    case ROLES.helpdeskAdministrator:
      return isRead && /^(User|Directory)\./.test(permission);
    case ROLES.exchangeAdministrator:
      return (
        permission === 'Reports.Read.All' ||
        permission === 'MailboxSettings.ReadWrite' ||
        (isRead && /^(User|Group|GroupMember)\./.test(permission))
      );
    case ROLES.intuneAdministrator:
      return permission.startsWith('DeviceManagement') || (isRead && /^(User|Group|GroupMember)\./.test(permission));
    case ROLES.reportsReader:
      return permission === 'Reports.Read.All' || permission === 'AuditLog.Read.All' || permission === 'ReportSettings.Read.All';
    case ROLES.securityReader:
      return permission === 'AuditLog.Read.All' || (isRead && permission.startsWith('Directory.'));
    default:
      return false;
  }
}

/** The permissions docsync's app is granted (both as app roles and delegated scopes). */
export const DOCSYNC_APP_PERMISSIONS = [
  'User.Read.All',
  'Group.Read.All',
  'GroupMember.Read.All',
  'Directory.Read.All',
  'Organization.Read.All',
  'Domain.Read.All',
  'DeviceManagementManagedDevices.Read.All',
  'Reports.Read.All',
  'ReportSettings.Read.All',
  'AuditLog.Read.All',
] as const;
export const PARTNER_ONLY_PERMISSIONS = ['DelegatedAdminRelationship.Read.All'] as const;
