// The partner (the MSP): its tenant, GDAP service account, admin agents group and the docsync
// app registration, deterministic from the seed; its users and groups as Graph shows them.
import { generateGroups, generateUser, isoSeconds, type GenerationContext } from './generate.ts';
import { guidFrom, hexString, indexedGuid, rngFrom } from './prng.ts';
import type { WorldGroup, WorldUser } from './records.ts';
import type { PartnerInfo } from '../world-types.ts';
import { DAY, type TenantDefinition } from './state.ts';

export interface PartnerSetup {
  partner: PartnerInfo;
  partnerDefinition: TenantDefinition;
  partnerUserMask: number;
  /** The second half of every GDAP relationship id ({guid}-{guid}). */
  relationshipSuffix: string;
}

export function createPartner(seed: number, anchorMs: number): PartnerSetup {
  const prng = rngFrom(seed, 'partner');
  const partnerTenantId = guidFrom(prng);
  const partnerDomain = 'fabrikampartners.onmicrosoft.com';
  const partnerUserMask = prng.uint32();
  const adminUserId = indexedGuid(partnerUserMask, 0, seed, 'user-id', partnerTenantId);
  const partner: PartnerInfo = {
    tenantId: partnerTenantId,
    displayName: 'Fabrikam Partners Ltd',
    defaultDomain: partnerDomain,
    adminUser: {
      id: adminUserId,
      userPrincipalName: `gdap.sync@${partnerDomain}`,
      displayName: 'docsync GDAP service account',
      password: `Emu-${hexString(prng, 12)}!`,
    },
    adminGroupId: guidFrom(prng),
    app: {
      clientId: guidFrom(prng),
      // The shape of a real Entra secret: 3 chars, "8Q~", 34 more.
      clientSecret: `${hexString(prng, 3)}8Q~${hexString(prng, 34)}`,
      displayName: 'docsync',
    },
  };
  const relationshipSuffix = guidFrom(prng);
  const partnerDefinition: TenantDefinition = {
    tenantId: partnerTenantId,
    index: -1,
    naming: {
      tenantId: partnerTenantId,
      displayName: partner.displayName,
      defaultDomain: 'fabrikampartners.com',
      initialDomain: partnerDomain,
      skuPlan: { primary: 'SPB', skus: [{ key: 'SPB', extraUnits: 2, suspended: false }] },
    },
    traits: { intune: false, premium: true, reportsConcealed: false, gdap: 'none', contract: false, oldTerminatedRelationship: false },
    domains: [
      {
        authenticationType: 'Managed',
        availabilityStatus: null,
        isAdminManaged: true,
        isDefault: false,
        isInitial: true,
        isRoot: true,
        isVerified: true,
        id: partnerDomain,
        supportedServices: ['Email', 'OfficeCommunicationsOnline'],
      },
      {
        authenticationType: 'Managed',
        availabilityStatus: null,
        isAdminManaged: true,
        isDefault: true,
        isInitial: false,
        isRoot: true,
        isVerified: true,
        id: 'fabrikampartners.com',
        supportedServices: ['Email', 'OfficeCommunicationsOnline', 'Intune'],
      },
    ],
    createdDateTime: isoSeconds(anchorMs - 2000 * DAY),
    countryLetterCode: 'GB',
    baseUsers: 5,
    baseDevices: 0,
    userMask: partnerUserMask,
    deviceMask: 0,
  };
  return { partner, partnerDefinition, partnerUserMask, relationshipSuffix };
}

/** The partner's users: slot 0 is the GDAP service account, the others technicians. */
export function partnerUser(ctx: GenerationContext, setup: PartnerSetup, slot: number): WorldUser {
  const { partner, partnerDefinition, partnerUserMask } = setup;
  const { seed } = ctx;
  const partnerTenantId = partner.tenantId;
  const generated = generateUser(ctx, partnerDefinition.naming, slot + 1, partnerUserMask);
  if (slot !== 0) {
    const record = {
      ...generated.record,
      id: indexedGuid(partnerUserMask, slot, seed, 'user-id', partnerTenantId),
      jobTitle: 'Technician',
    };
    return { slot, kind: 'member', record };
  }
  const [given, ...rest] = partner.adminUser.displayName.split(' ');
  return {
    slot: 0,
    kind: 'admin',
    record: {
      ...generated.record,
      id: partner.adminUser.id,
      displayName: partner.adminUser.displayName,
      givenName: given ?? null,
      surname: rest.join(' ') || null,
      userPrincipalName: partner.adminUser.userPrincipalName,
      mail: null,
      mailNickname: 'gdap.sync',
      proxyAddresses: [],
      otherMails: [],
      accountEnabled: true,
      userType: 'Member',
      jobTitle: 'Service account',
    },
  };
}

/** The partner's groups: one generated, and the admin agents group of the GDAP access assignments. */
export function partnerGroups(ctx: GenerationContext, setup: PartnerSetup, def: TenantDefinition): WorldGroup[] {
  const { partner } = setup;
  const { seed } = ctx;
  const rng = rngFrom(seed, 'partner-groups');
  const base = generateGroups(ctx, def.naming).slice(0, 1);
  const adminGroup: WorldGroup = {
    rule: { kind: 'explicit', userIds: [partner.adminUser.id] },
    nestedGroupIds: [],
    record: {
      ...(base[0] as WorldGroup).record,
      id: partner.adminGroupId,
      displayName: 'AdminAgents - GDAP docsync',
      mailNickname: 'gdapdocsync',
      description: 'GDAP access assignments (docsync)',
      groupTypes: [],
      mail: null,
      mailEnabled: false,
      securityEnabled: true,
      proxyAddresses: [],
      visibility: null,
      resourceProvisioningOptions: [],
    },
  };
  const groups = [...base, adminGroup];
  void rng;
  return groups;
}
