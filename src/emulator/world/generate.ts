// Pure generators: customer profile #i, user #slot of a tenant, its groups, devices and SKUs.
// Each is a function of (seed, indexes) only, so a page of users or devices is built without
// building the rest of the tenant. Awkward on purpose: accents, apostrophes, look-alike
// companies, guests, shared mailboxes, users with no mail, placeholder serial numbers.

import {
  COMPANY_STEMS,
  COMPANY_SUFFIXES,
  DEPARTMENTS,
  FIXED_COMPANY_NAMES,
  GIVEN_NAMES,
  GUEST_MAIL_DOMAINS,
  JOB_TITLES,
  ROOM_NAMES,
  EQUIPMENT_NAMES,
  SHARED_MAILBOX_NAMES,
  SKUS,
  SURNAMES,
  TOP_LEVEL_DOMAINS,
  type SkuKey,
} from './catalog.ts';
import { guidFrom, hexString, indexedGuid, rngFrom, type Rng } from './prng.ts';
import type {
  ActiveUserRow,
  CustomerProfile,
  CustomerTraits,
  DomainRecord,
  GroupMembershipRule,
  MailboxUsageRow,
  ManagedDeviceRecord,
  UserKind,
  UserRecord,
  WorldGroup,
  WorldUser,
} from './records.ts';
import { DAY_MS as DAY } from '../../time.ts';

export const NEVER = '0001-01-01T00:00:00Z';

/** Graph's timestamp style: second precision, Z. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** ASCII-only, lower-case, no spaces: for domain labels and mail local parts. */
const folded = new Map<string, string>();
export function asciiFold(text: string): string {
  // Names repeat endlessly across tenants: fold each distinct one once.
  let result = folded.get(text);
  if (result === undefined) {
    result = foldUncached(text);
    if (folded.size < 50_000) folded.set(text, result);
  }
  return result;
}

function foldUncached(text: string): string {
  return text
    .replace(/[øØ]/g, 'o')
    .replace(/[æÆ]/g, 'ae')
    .replace(/ß/g, 'ss')
    .replace(/[łŁ]/g, 'l')
    .replace(/đ/g, 'd')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

export interface GenerationContext {
  seed: number;
  /** UTC midnight of the world's creation day: every generated date is relative to it. */
  anchorMs: number;
  usersPerTenant: number;
  tenantMask: number;
}

export function userMask(ctx: GenerationContext, tenantId: string): number {
  return rngFrom(ctx.seed, 'user-mask', tenantId).uint32();
}
export function deviceMask(ctx: GenerationContext, tenantId: string): number {
  return rngFrom(ctx.seed, 'device-mask', tenantId).uint32();
}

// ---------------------------------------------------------------------------------------------
// Customers

/**
 * The customer mix, by index (the first six are fixed so every world with ≥ 6 customers has
 * each case; later indexes repeat the patterns):
 *   0 healthy · 1 reports concealed · 2 no Intune (Business Standard, no Entra P1)
 *   3 GDAP access assignment lacks roles (Directory Readers only) · 4 expired relationship
 *   5 DAP-only (a contract, no GDAP relationship) · ≥ 6: no Intune when i%4==2, concealed when
 *   i%3==1, limited roles when i%10==3, no CSP contract (GDAP only) when i%8==7, an old
 *   terminated relationship next to the active one when i%7==6.
 */
export function customerTraits(index: number): CustomerTraits {
  const base: CustomerTraits = {
    intune: true,
    premium: true,
    reportsConcealed: false,
    gdap: 'active',
    contract: true,
    oldTerminatedRelationship: false,
  };
  switch (index) {
    case 0:
      return base;
    case 1:
      return { ...base, reportsConcealed: true };
    case 2:
      return { ...base, intune: false, premium: false };
    case 3:
      return { ...base, gdap: 'limited' };
    case 4:
      return { ...base, gdap: 'expired' };
    case 5:
      return { ...base, gdap: 'none' };
    default: {
      const intune = index % 4 !== 2;
      return {
        intune,
        premium: intune,
        reportsConcealed: index % 3 === 1,
        gdap: index % 10 === 3 ? 'limited' : 'active',
        contract: index % 8 !== 7,
        oldTerminatedRelationship: index % 7 === 6,
      };
    }
  }
}

export function customerTenantId(ctx: GenerationContext, index: number): string {
  return indexedGuid(ctx.tenantMask, index, ctx.seed, 'tenant');
}

export function customerProfile(ctx: GenerationContext, index: number, overrideName?: string): CustomerProfile {
  const rng = rngFrom(ctx.seed, 'customer', index);
  let displayName: string;
  if (overrideName) displayName = overrideName;
  else if (index < FIXED_COMPANY_NAMES.length) displayName = FIXED_COMPANY_NAMES[index] as string;
  else displayName = rng.pick(COMPANY_STEMS) + rng.pick(COMPANY_SUFFIXES);
  const stem =
    asciiFold(displayName.replace(/,? ?(Ltd\.?|Inc\.?|LLC|GmbH|AG|S\.A\.|SARL|B\.V\.|Pty Ltd|plc|AS|A\/S|Oy)$/, '')).slice(0, 22) ||
    'tenant';
  const initialDomain = `${stem}${index === 0 ? '' : index}.onmicrosoft.com`;
  const tld = index === 0 ? '.com' : rng.pick(TOP_LEVEL_DOMAINS);
  const customDomain = index < FIXED_COMPANY_NAMES.length ? `${stem}${tld}` : `${stem}${index}${tld}`;
  // Some small customers never added a domain of their own: everything lives on onmicrosoft.com.
  const onlyInitial = index >= 6 && index % 6 === 5;
  const domains: DomainRecord[] = [
    domain(initialDomain, { isInitial: true, isDefault: onlyInitial, isVerified: true, services: ['Email', 'OfficeCommunicationsOnline'] }),
  ];
  if (!onlyInitial) {
    domains.push(domain(customDomain, { isDefault: true, isVerified: true, services: ['Email', 'OfficeCommunicationsOnline', 'Intune'] }));
    const unverified = customDomain.replace(/(\.[a-z]+)+$/, tld === '.net' ? '.org' : '.net');
    if (rng.chance(0.5)) domains.push(domain(unverified, { isVerified: false, services: [] }));
    if (rng.chance(0.3)) domains.push(domain(`mail.${customDomain}`, { isVerified: true, isRoot: false, services: ['Email'] }));
  }
  const createdMs = ctx.anchorMs - rng.between(400, 3000) * DAY;
  return {
    index,
    tenantId: customerTenantId(ctx, index),
    displayName,
    initialDomain,
    defaultDomain: onlyInitial ? initialDomain : customDomain,
    domains,
    traits: customerTraits(index),
    createdDateTime: isoSeconds(createdMs + rng.int(DAY)),
    countryLetterCode: rng.pick(['GB', 'US', 'DE', 'FR', 'NL', 'AU', 'NO', 'CH']),
  };
}

function domain(
  id: string,
  o: { isInitial?: boolean; isDefault?: boolean; isVerified: boolean; isRoot?: boolean; services: string[] },
): DomainRecord {
  return {
    authenticationType: 'Managed',
    availabilityStatus: null,
    isAdminManaged: true,
    isDefault: o.isDefault ?? false,
    isInitial: o.isInitial ?? false,
    isRoot: o.isRoot ?? true,
    isVerified: o.isVerified,
    id,
    supportedServices: o.services,
  };
}

// ---------------------------------------------------------------------------------------------
// Licenses

export interface TenantSkuPlan {
  /** the SKU most users get */
  primary: SkuKey;
  skus: Array<{ key: SkuKey; extraUnits: number; suspended: boolean }>;
}

export function tenantSkuPlan(ctx: GenerationContext, tenantId: string, traits: CustomerTraits): TenantSkuPlan {
  const rng = rngFrom(ctx.seed, 'skus', tenantId);
  const primary: SkuKey = traits.intune ? (rng.chance(0.25) ? 'SPE_E3' : 'SPB') : 'O365_BUSINESS_PREMIUM';
  const skus: TenantSkuPlan['skus'] = [
    { key: primary, extraUnits: rng.between(0, 6), suspended: false },
    { key: 'FLOW_FREE', extraUnits: 10000, suspended: false },
  ];
  if (rng.chance(0.6)) skus.push({ key: 'EXCHANGESTANDARD', extraUnits: rng.between(0, 3), suspended: false });
  if (rng.chance(0.3)) skus.push({ key: 'O365_BUSINESS_ESSENTIALS', extraUnits: rng.between(1, 25), suspended: true });
  return { primary, skus };
}

// ---------------------------------------------------------------------------------------------
// Users

export interface TenantNaming {
  tenantId: string;
  displayName: string;
  defaultDomain: string;
  initialDomain: string;
  skuPlan: TenantSkuPlan;
}

const FORCED_KINDS: Record<number, UserKind> = {
  0: 'admin',
  1: 'member',
  2: 'guest',
  3: 'shared',
  4: 'disabled',
  5: 'unlicensed',
  6: 'room',
};

function kindFor(slot: number, rng: Rng): UserKind {
  const forced = FORCED_KINDS[slot];
  if (forced) return forced;
  const r = rng.next();
  if (r < 0.06) return 'guest';
  if (r < 0.1) return 'shared';
  if (r < 0.11) return 'room';
  if (r < 0.115) return 'equipment';
  if (r < 0.16) return 'unlicensed';
  if (r < 0.21) return 'disabled';
  return 'member';
}

/** Unique (given, surname) pairs for the first 1,200 slots: 487 is coprime with 40 × 30. */
function personName(slot: number): { given: string; surname: string; repeat: number } {
  // slot 8 deliberately repeats slot 7's name: matching must flag, not guess.
  const effective = slot === 8 ? 7 : slot;
  const pairs = GIVEN_NAMES.length * SURNAMES.length;
  const pairIndex = (effective * 487 + 3) % pairs;
  return {
    given: GIVEN_NAMES[pairIndex % GIVEN_NAMES.length] as string,
    surname: SURNAMES[Math.floor(pairIndex / GIVEN_NAMES.length)] as string,
    repeat: Math.floor(effective / pairs) + (slot === 8 ? 1 : 0),
  };
}

function requestId(rng: Rng): string {
  // Entra sign-in request ids end in "00" segments like the samples; cosmetic.
  return guidFrom(rng).slice(0, 32) + '1f00';
}

export function generateUser(ctx: GenerationContext, tenant: TenantNaming, slot: number, mask: number): WorldUser {
  const rng = rngFrom(ctx.seed, 'user', tenant.tenantId, slot);
  const kind = kindFor(slot, rng);
  const id = indexedGuid(mask, slot, ctx.seed, 'user-id', tenant.tenantId);
  const createdMs = ctx.anchorMs - rng.between(20, 2500) * DAY - rng.int(DAY);
  const onInitial = `${tenant.initialDomain}`;
  const primarySku = SKUS[tenant.skuPlan.primary];
  const has = (key: SkuKey): boolean => tenant.skuPlan.skus.some((s) => s.key === key && !s.suspended);

  let displayName: string | null;
  let givenName: string | null = null;
  let surname: string | null = null;
  let local: string;
  let upn: string;
  let mail: string | null;
  let mailNickname: string;
  let userType: 'Member' | 'Guest' = 'Member';
  let accountEnabled = true;
  let otherMails: string[] = [];
  let proxyAddresses: string[] = [];
  let licenses: string[] = [];
  let jobTitle: string | null = null;
  let department: string | null = null;
  let creationType: string | null = null;
  let externalUserState: string | null = null;

  if (kind === 'admin') {
    displayName = 'MOD Administrator';
    givenName = 'MOD';
    surname = 'Administrator';
    local = 'admin';
    upn = `admin@${onInitial}`;
    mail = upn;
    licenses = [primarySku.skuId];
  } else if (kind === 'shared' || kind === 'room' || kind === 'equipment') {
    const names = kind === 'shared' ? SHARED_MAILBOX_NAMES : kind === 'room' ? ROOM_NAMES : EQUIPMENT_NAMES;
    displayName = names[slot % names.length] as string;
    local = asciiFold(displayName) + (slot > 10 ? slot : '');
    upn = `${local}@${tenant.defaultDomain}`;
    mail = upn;
    accountEnabled = false;
  } else {
    const name = personName(slot);
    givenName = name.given;
    surname = name.surname;
    displayName = `${givenName} ${surname}`;
    local = `${asciiFold(givenName)}.${asciiFold(surname)}${name.repeat > 0 ? name.repeat + 1 : ''}`;
    if (kind === 'guest') {
      const external = `${local}@${rng.pick(GUEST_MAIL_DOMAINS)}`;
      mailNickname = external.replace('@', '_') + '#EXT#';
      upn = `${mailNickname}@${onInitial}`;
      mail = external;
      userType = 'Guest';
      otherMails = [external];
      proxyAddresses = [`SMTP:${external}`];
      creationType = 'Invitation';
      externalUserState = rng.chance(0.8) ? 'Accepted' : 'PendingAcceptance';
      displayName = rng.chance(0.3) ? external : displayName;
    } else {
      upn = `${local}@${rng.chance(0.05) ? onInitial : tenant.defaultDomain}`;
      mail = kind === 'unlicensed' ? null : upn;
      if (kind === 'unlicensed') {
        // service accounts and not-yet-licensed hires: no mailbox, sometimes no name parts
        if (rng.chance(0.5)) {
          displayName = `svc-${asciiFold(surname)}`;
          givenName = null;
          surname = null;
        }
      } else if (rng.chance(0.04)) {
        givenName = null;
        surname = null;
      }
      accountEnabled = kind !== 'disabled';
      jobTitle = rng.pick(JOB_TITLES);
      department = rng.pick(DEPARTMENTS);
      if (kind === 'member') licenses = [has('EXCHANGESTANDARD') && rng.chance(0.1) ? SKUS.EXCHANGESTANDARD.skuId : primarySku.skuId];
      if (kind === 'disabled' && rng.chance(0.5)) licenses = [primarySku.skuId];
      if (licenses.length > 0 && rng.chance(0.2)) licenses.push(SKUS.FLOW_FREE.skuId);
      if (rng.chance(0.15)) otherMails = [`${local}@${rng.pick(GUEST_MAIL_DOMAINS)}`];
    }
  }
  mailNickname ??= local;
  if (mail && userType === 'Member') {
    const aliases = mail.endsWith(`@${onInitial}`) ? [] : [`smtp:${local}@${onInitial}`];
    if (kind === 'member' && rng.chance(0.4) && givenName) aliases.push(`smtp:${asciiFold(givenName)}@${tenant.defaultDomain}`);
    if (rng.chance(0.3))
      aliases.push(
        `x500:/o=ExchangeLabs/ou=Exchange Administrative Group ` +
          `(FYDIBOHF23SPDLT)/cn=Recipients/cn=${hexString(rng, 32)}-${local.slice(0, 8)}`,
      );
    if (kind === 'member' && rng.chance(0.3)) aliases.push(`SIP:${mail}`.replace('SIP:', 'sip:'));
    // Exchange lists the primary anywhere in the array; secondaries first is common.
    proxyAddresses = rng.chance(0.5) ? [...aliases, `SMTP:${mail}`] : [`SMTP:${mail}`, ...aliases];
  }

  const neverSignedIn = kind === 'shared' || kind === 'room' || kind === 'equipment' || rng.chance(0.05);
  const lastSignInMs = kind === 'disabled' ? ctx.anchorMs - rng.between(120, 700) * DAY : ctx.anchorMs - rng.int(45 * DAY);
  const interactiveId = requestId(rng);
  const nonInteractiveMs = lastSignInMs + rng.int(DAY);
  const successfulMissing = rng.chance(0.1);
  const signInActivity = neverSignedIn
    ? {
        lastSignInDateTime: NEVER,
        lastSignInRequestId: '',
        lastNonInteractiveSignInDateTime: NEVER,
        lastNonInteractiveSignInRequestId: '',
        lastSuccessfulSignInDateTime: '',
        lastSuccessfulSignInRequestId: '',
      }
    : {
        lastSignInDateTime: isoSeconds(lastSignInMs),
        lastSignInRequestId: interactiveId,
        lastNonInteractiveSignInDateTime: isoSeconds(nonInteractiveMs),
        lastNonInteractiveSignInRequestId: requestId(rng),
        lastSuccessfulSignInDateTime: successfulMissing ? '' : isoSeconds(lastSignInMs),
        lastSuccessfulSignInRequestId: successfulMissing ? '' : interactiveId,
      };

  const record: UserRecord = {
    id,
    displayName,
    givenName,
    surname,
    userPrincipalName: upn,
    mail,
    mailNickname,
    jobTitle,
    department,
    companyName: userType === 'Guest' ? null : rng.chance(0.7) ? tenant.displayName : null,
    officeLocation: kind === 'member' && rng.chance(0.5) ? rng.pick(['HQ', 'Floor 2', 'Remote', 'Zürich']) : null,
    mobilePhone: kind === 'member' && rng.chance(0.4) ? `+44 7700 9${String(rng.between(0, 99999)).padStart(5, '0')}` : null,
    businessPhones: kind === 'member' && rng.chance(0.5) ? [`+1 425-555-${String(rng.between(100, 9999)).padStart(4, '0')}`] : [],
    preferredLanguage: rng.chance(0.6) ? rng.pick(['en-US', 'en-GB', 'de-DE', 'fr-FR', 'nb-NO']) : null,
    usageLocation: licenses.length > 0 ? rng.pick(['GB', 'US', 'DE', 'FR', 'NO']) : null,
    accountEnabled,
    userType,
    creationType,
    externalUserState,
    createdDateTime: isoSeconds(createdMs),
    deletedDateTime: null,
    lastPasswordChangeDateTime: isoSeconds(Math.min(ctx.anchorMs - DAY, createdMs + rng.int(Math.max(DAY, ctx.anchorMs - createdMs)))),
    otherMails,
    proxyAddresses,
    assignedLicenses: licenses.map((skuId) => ({ disabledPlans: [], skuId })),
    signInActivity,
    employeeId: kind === 'member' && rng.chance(0.5) ? String(rng.between(1000, 99999)) : null,
    onPremisesSyncEnabled: null,
    onPremisesImmutableId: null,
    city: kind === 'member' && rng.chance(0.5) ? rng.pick(['London', 'München', 'Paris', 'Oslo', 'São Paulo']) : null,
    country: null,
  };
  return { slot, kind, record };
}

// ---------------------------------------------------------------------------------------------
// Groups

export function generateGroups(ctx: GenerationContext, tenant: TenantNaming): WorldGroup[] {
  const rng = rngFrom(ctx.seed, 'groups', tenant.tenantId);
  const created = (): string => isoSeconds(ctx.anchorMs - rng.between(30, 1500) * DAY);
  const d = tenant.defaultDomain;
  const mk = (
    name: string,
    nick: string,
    o: { unified?: boolean; mail?: boolean; security?: boolean; description?: string | null; roleAssignable?: boolean },
    rule: GroupMembershipRule,
    nested: string[] = [],
  ): WorldGroup => {
    const createdDateTime = created();
    const mailEnabled = o.mail ?? false;
    return {
      rule,
      nestedGroupIds: nested,
      record: {
        id: guidFrom(rng),
        deletedDateTime: null,
        classification: null,
        createdDateTime,
        description: o.description ?? null,
        displayName: name,
        expirationDateTime: null,
        groupTypes: o.unified ? ['Unified'] : [],
        isAssignableToRole: o.roleAssignable ? true : null,
        mail: mailEnabled ? `${nick}@${d}` : null,
        mailEnabled,
        mailNickname: nick,
        membershipRule: null,
        membershipRuleProcessingState: null,
        onPremisesLastSyncDateTime: null,
        onPremisesSecurityIdentifier: null,
        onPremisesSyncEnabled: null,
        preferredDataLocation: null,
        preferredLanguage: null,
        proxyAddresses: mailEnabled ? [`smtp:${nick}@${tenant.initialDomain}`, `SMTP:${nick}@${d}`] : [],
        renewedDateTime: createdDateTime,
        resourceBehaviorOptions: [],
        resourceProvisioningOptions: o.unified ? ['Team'] : [],
        securityEnabled: o.security ?? !o.unified,
        theme: null,
        visibility: o.unified ? 'Private' : null,
        onPremisesProvisioningErrors: [],
      },
    };
  };
  const itAdmins = mk(
    'IT Admins',
    'itadmins',
    { security: true, roleAssignable: true, description: 'Role-assignable admin group' },
    { kind: 'slotModulo', modulo: 97, remainder: 1 },
  );
  return [
    mk(
      'All Company',
      'allcompany',
      { unified: true, mail: true, security: false, description: 'Everyone in the organisation' },
      { kind: 'userKinds', kinds: ['admin', 'member', 'disabled'] },
    ),
    mk('Sales', 'sales', { security: true, description: null }, { kind: 'department', department: 'Sales' }),
    mk(
      'Finance Team',
      'finance',
      { mail: true, security: true, description: 'Mail-enabled security group' },
      { kind: 'department', department: 'Finance' },
      [itAdmins.record.id],
    ),
    mk(
      'docsync - exclude',
      'docsyncexclude',
      { security: true, description: 'Accounts docsync should skip' },
      { kind: 'slotModulo', modulo: 50, remainder: 7 },
    ),
    mk('External collaborators', 'externals', { security: true }, { kind: 'userKinds', kinds: ['guest'] }),
    itAdmins,
    // A distribution list (mail-enabled, not security-enabled, not Unified); made last so the
    // groups before it keep their ids.
    mk(
      'Newsletter',
      'newsletter',
      { mail: true, security: false, description: 'Distribution list' },
      { kind: 'department', department: 'Sales' },
    ),
  ];
}

export function groupHasUser(rule: GroupMembershipRule, user: WorldUser): boolean {
  switch (rule.kind) {
    case 'allMembers':
      return user.record.userType === 'Member';
    case 'department':
      return user.record.department === rule.department;
    case 'slotModulo':
      return user.slot % rule.modulo === rule.remainder && user.kind !== 'guest';
    case 'userKinds':
      return rule.kinds.includes(user.kind);
    case 'explicit':
      return rule.userIds.includes(user.record.id);
  }
}

// ---------------------------------------------------------------------------------------------
// Intune devices

const PLACEHOLDER_SERIALS = ['To Be Filled By O.E.M.', 'System Serial Number', '0', 'Default string'] as const;

export function deviceCountFor(usersPerTenant: number): number {
  return Math.round(usersPerTenant * 0.8);
}

export function generateDevice(
  ctx: GenerationContext,
  tenant: TenantNaming,
  slot: number,
  mask: number,
  userAt: (slot: number) => WorldUser | undefined,
): ManagedDeviceRecord {
  const rng = rngFrom(ctx.seed, 'device', tenant.tenantId, slot);
  const id = indexedGuid(mask, slot, ctx.seed, 'device-id', tenant.tenantId);
  const owner = userAt(rng.int(Math.max(1, ctx.usersPerTenant)));
  const primary = owner && (owner.kind === 'member' || owner.kind === 'admin' || owner.kind === 'disabled') ? owner.record : null;
  const enrolledMs = ctx.anchorMs - rng.between(10, 900) * DAY - rng.int(DAY);
  const lastSyncMs = ctx.anchorMs - rng.int(20 * DAY);
  const r = rng.next();
  let operatingSystem: string, osVersion: string, manufacturer: string, model: string, serialNumber: string, deviceName: string;
  const first = primary?.givenName ?? primary?.displayName ?? 'Shared';
  const upper = (n: number): string => hexString(rng, n, true).replace(/[0-9]/g, (c) => 'GHJKLMNPQR'[Number(c)] as string);
  if (r < 0.6) {
    operatingSystem = 'Windows';
    osVersion = rng.pick(['10.0.19045.4529', '10.0.22631.3880', '10.0.26100.1742']);
    const vendor = rng.int(4);
    manufacturer = ['Dell Inc.', 'LENOVO', 'HP', 'Microsoft Corporation'][vendor] as string;
    model = [
      rng.pick(['Latitude 5440', 'OptiPlex 7010']),
      rng.pick(['21HD0055UK', 'ThinkPad T14 Gen 4']),
      'HP EliteBook 840 G9',
      'Surface Laptop 5',
    ][vendor] as string;
    serialNumber = [
      upper(7),
      `PF${upper(6)}`,
      `5CG${String(rng.between(1000, 9999))}${upper(3)}`,
      String(rng.between(100000000000, 999999999999)),
    ][vendor] as string;
    deviceName = rng.chance(0.5)
      ? `DESKTOP-${upper(7)}`
      : `${asciiFold(tenant.displayName).slice(0, 6).toUpperCase()}-LT-${String(slot).padStart(3, '0')}`;
    if (rng.chance(0.12)) {
      // Self-built and refurbished PCs report what the firmware was never filled with.
      serialNumber = rng.pick(PLACEHOLDER_SERIALS);
      manufacturer = rng.pick(['To Be Filled By O.E.M.', 'System manufacturer', 'ASUS']);
      model = rng.pick(['To Be Filled By O.E.M.', 'System Product Name', 'All Series']);
    }
  } else if (r < 0.8) {
    operatingSystem = 'iOS';
    osVersion = rng.pick(['17.5.1', '17.6', '18.0.1']);
    manufacturer = 'Apple';
    model = rng.pick(['iPhone 13', 'iPhone 14', 'iPhone 15 Pro']);
    serialNumber = upper(12);
    deviceName = `${first}'s iPhone`;
  } else if (r < 0.9) {
    operatingSystem = 'Android';
    osVersion = rng.pick(['13', '14']);
    manufacturer = 'samsung';
    model = rng.pick(['SM-G991B', 'SM-A546B']);
    serialNumber = `R5${upper(9)}`;
    deviceName = `${first}_Android_${isoDate(enrolledMs).replace(/-/g, '/')}`;
  } else {
    operatingSystem = 'macOS';
    osVersion = '14.5 (23F79)';
    manufacturer = 'Apple';
    model = rng.pick(['MacBookPro18,1', 'MacBookAir10,1']);
    serialNumber = `C02${upper(9)}`;
    deviceName = `${first}'s MacBook Pro`;
  }
  const mac = (): string => Array.from({ length: 6 }, () => hexString(rng, 2, true)).join('');
  return {
    '@odata.type': '#microsoft.graph.managedDevice',
    id,
    userId: primary?.id ?? null,
    deviceName,
    managedDeviceOwnerType: operatingSystem === 'Android' && rng.chance(0.5) ? 'personal' : 'company',
    deviceActionResults: [],
    enrolledDateTime: isoSeconds(enrolledMs),
    lastSyncDateTime: isoSeconds(lastSyncMs),
    operatingSystem,
    complianceState: rng.pick(['compliant', 'compliant', 'compliant', 'noncompliant', 'inGracePeriod', 'unknown']),
    jailBroken: operatingSystem === 'iOS' || operatingSystem === 'Android' ? 'False' : 'Unknown',
    managementAgent: operatingSystem === 'Windows' && rng.chance(0.2) ? 'configurationManagerClientMdm' : 'mdm',
    osVersion,
    easActivated: false,
    easDeviceId: '',
    easActivationDateTime: NEVER,
    azureADRegistered: true,
    deviceEnrollmentType: operatingSystem === 'Windows' ? 'windowsAzureADJoin' : 'userEnrollment',
    activationLockBypassCode: null,
    emailAddress: primary?.mail ?? '',
    azureADDeviceId: guidFrom(rng),
    deviceRegistrationState: 'registered',
    deviceCategoryDisplayName: 'Unknown category',
    isSupervised: false,
    exchangeLastSuccessfulSyncDateTime: NEVER,
    exchangeAccessState: 'none',
    exchangeAccessStateReason: 'none',
    remoteAssistanceSessionUrl: null,
    remoteAssistanceSessionErrorDetails: null,
    isEncrypted: rng.chance(0.85),
    userPrincipalName: primary?.userPrincipalName ?? null,
    model,
    manufacturer,
    imei:
      operatingSystem === 'iOS' || operatingSystem === 'Android'
        ? String(rng.between(100000000, 999999999)) + String(rng.between(100000, 999999))
        : '',
    complianceGracePeriodExpirationDateTime: '9999-12-31T23:59:59Z',
    serialNumber,
    phoneNumber: '',
    androidSecurityPatchLevel: operatingSystem === 'Android' ? '2024-06-01' : '',
    userDisplayName: primary?.displayName ?? null,
    configurationManagerClientEnabledFeatures: null,
    wiFiMacAddress: mac(),
    deviceHealthAttestationState: null,
    subscriberCarrier: '',
    meid: '',
    totalStorageSpaceInBytes: rng.pick([127_999_672_320, 255_398_731_776, 511_101_108_224]),
    freeStorageSpaceInBytes: rng.between(5, 100) * 1_073_741_824,
    managedDeviceName:
      `${primary ? asciiFold(primary.displayName ?? '') : 'device'}_${operatingSystem}_` + isoDate(enrolledMs).replace(/-/g, '/'),
    partnerReportedThreatState: 'unknown',
    requireUserEnrollmentApproval: null,
    managementCertificateExpirationDate: isoSeconds(enrolledMs + 365 * DAY),
    iccid: null,
    udid: null,
    notes: null,
    ethernetMacAddress: operatingSystem === 'Windows' && rng.chance(0.5) ? mac() : null,
    physicalMemoryInBytes: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Usage reports

const RECIPIENT_TYPES: Partial<Record<WorldUser['kind'], MailboxUsageRow['recipientType']>> = {
  shared: 'SharedMailbox',
  room: 'RoomMailbox',
  equipment: 'EquipmentMailbox',
};

export function hasMailbox(user: WorldUser): boolean {
  if (user.record.userType === 'Guest' || !user.record.mail) return false;
  if (user.kind === 'shared' || user.kind === 'room' || user.kind === 'equipment') return true;
  return user.record.assignedLicenses.some((l) => Object.values(SKUS).some((s) => s.skuId === l.skuId && s.exchange));
}

export function mailboxUsageRow(ctx: GenerationContext, tenantId: string, user: WorldUser): MailboxUsageRow {
  const rng = rngFrom(ctx.seed, 'mailbox', tenantId, user.slot);
  const big = user.kind === 'shared' ? 3 : 1;
  const e3 = user.record.assignedLicenses.some((l) => l.skuId === SKUS.SPE_E3.skuId || l.skuId === SKUS.ENTERPRISEPACK.skuId);
  const quota = e3 ? 107_374_182_400 : 53_687_091_200;
  return {
    userPrincipalName: user.record.userPrincipalName,
    displayName: user.record.displayName ?? '',
    isDeleted: user.record.deletedDateTime !== null,
    deletedDate: user.record.deletedDateTime ? user.record.deletedDateTime.slice(0, 10) : null,
    createdDate: user.record.createdDateTime.slice(0, 10),
    lastActivityDate: user.record.accountEnabled || user.kind === 'shared' ? isoDate(ctx.anchorMs - rng.int(10) * DAY) : null,
    itemCount: rng.between(0, 150_000) * big,
    storageUsedInBytes: rng.between(0, 40_000) * 1_048_576 * big,
    issueWarningQuotaInBytes: quota - 2_147_483_648,
    prohibitSendQuotaInBytes: quota - 1_073_741_824,
    prohibitSendReceiveQuotaInBytes: quota,
    deletedItemCount: rng.between(0, 5000),
    deletedItemSizeInBytes: rng.between(0, 900) * 1_048_576,
    deletedItemQuotaInBytes: 32_212_254_720,
    hasArchive: rng.chance(0.2),
    recipientType: RECIPIENT_TYPES[user.kind] ?? 'UserMailbox',
  };
}

export function activeUserRow(ctx: GenerationContext, tenantId: string, user: WorldUser): ActiveUserRow {
  const rng = rngFrom(ctx.seed, 'active', tenantId, user.slot);
  const skus = Object.values(SKUS).filter((s) => user.record.assignedLicenses.some((l) => l.skuId === s.skuId));
  const exchange = skus.some((s) => s.exchange);
  const oneDrive = skus.some((s) => s.oneDrive);
  const teams = skus.some((s) => s.teams);
  const assigned = isoDate(Date.parse(user.record.createdDateTime));
  const activity = (licensed: boolean): string | null =>
    licensed && user.record.accountEnabled && rng.chance(0.8) ? isoDate(ctx.anchorMs - rng.int(20) * DAY) : null;
  return {
    userPrincipalName: user.record.userPrincipalName,
    displayName: user.record.displayName ?? '',
    isDeleted: user.record.deletedDateTime !== null,
    deletedDate: user.record.deletedDateTime ? user.record.deletedDateTime.slice(0, 10) : null,
    hasExchangeLicense: exchange,
    hasOneDriveLicense: oneDrive,
    hasSharePointLicense: oneDrive,
    hasSkypeForBusinessLicense: teams,
    hasYammerLicense: teams,
    hasTeamsLicense: teams,
    exchangeLastActivityDate: activity(exchange),
    oneDriveLastActivityDate: activity(oneDrive),
    sharePointLastActivityDate: activity(oneDrive),
    skypeForBusinessLastActivityDate: null,
    yammerLastActivityDate: null,
    teamsLastActivityDate: activity(teams),
    exchangeLicenseAssignDate: exchange ? assigned : null,
    oneDriveLicenseAssignDate: oneDrive ? assigned : null,
    sharePointLicenseAssignDate: oneDrive ? assigned : null,
    skypeForBusinessLicenseAssignDate: teams ? assigned : null,
    yammerLicenseAssignDate: teams ? assigned : null,
    teamsLicenseAssignDate: teams ? assigned : null,
    assignedProducts: skus.map((s) => s.productName),
  };
}
