// The read view: what Graph routes and the identity platform read from the world (directory,
// licences, devices, reports, consent, the change feed). Nothing here changes the world.
import { DOCSYNC_APP_PERMISSIONS, PARTNER_ONLY_PERMISSIONS, SKUS } from './catalog.ts';
import { activeUserRow, groupHasUser, hasMailbox, isoSeconds, mailboxUsageRow } from './generate.ts';
import { guidFrom, rngFrom } from './prng.ts';
import type { ActiveUserRow, ContractRecord, MailboxUsageRow } from './records.ts';
import { DAY } from './state.ts';
import type { TenantStore } from './tenant-store.ts';
import type { GdapViews } from './gdap.ts';
import type { UserChange, World, WorldReadView } from './views.ts';

/** The read view's own methods (the world's fixed facts and GDAP come from elsewhere). */
export type ReadMethods = Omit<WorldReadView, 'seed' | 'usersPerTenant' | 'clock' | 'anchor' | 'partner' | keyof GdapViews>;

export function createReadView(store: TenantStore): ReadMethods {
  const { ctx, seed, explicit, partner, partnerTenantId, states, caches } = store;
  const { definition, need, resolve, customerIndexOf, profileAt, liveUser, liveUsers, slotEntry, slotOfUser } = store;
  const { userSlotCount, deviceSlotCount, deviceAt, slotOfDevice, groupsOf, consumedUnits, baseConsumedUnits } = store;
  const read: ReadMethods = {
    tenantExists: (t) => resolve(t) !== undefined,
    resolveTenantId: (t) => resolve(t),
    appConsented(tenantId, clientId) {
      const def = definition(tenantId);
      if (!def || clientId.toLowerCase() !== partner.app.clientId) return false;
      return !(states.get(def.tenantId)?.consentRevoked.has(clientId.toLowerCase()) ?? false);
    },
    appRoles(tenantId, clientId) {
      if (!read.appConsented(tenantId, clientId)) return [];
      const all: string[] = [...DOCSYNC_APP_PERMISSIONS, ...(resolve(tenantId) === partnerTenantId ? PARTNER_ONLY_PERMISSIONS : [])];
      const narrowed = states.get(resolve(tenantId) ?? '')?.consentedPermissions;
      return narrowed ? all.filter((p) => narrowed.includes(p)) : all;
    },
    delegatedScopes(tenantId, clientId) {
      const granted = read.appRoles(tenantId, clientId);
      if (granted.length === 0) return granted;
      const extra = states.get(resolve(tenantId) ?? '')?.extraScopes;
      return extra ? [...new Set([...granted, ...extra])] : granted;
    },

    customerCount: () => store.customerTotal(),
    customers: () => Array.from({ length: store.customerTotal() }, (_, i) => profileAt(i)),
    customer(t) {
      const id = resolve(t);
      const index = id ? customerIndexOf(id) : undefined;
      return index === undefined ? undefined : profileAt(index);
    },
    isPartnerTenant: (t) => resolve(t) === partnerTenantId,

    organization(tenantId) {
      const def = definition(tenantId);
      if (!def) return undefined;
      const rng = rngFrom(seed, 'org', def.tenantId);
      const skus = def.naming.skuPlan.skus.map((s) => SKUS[s.key]);
      const plans = new Map<string, { servicePlanId: string; service: string }>();
      for (const sku of skus)
        for (const p of sku.servicePlans)
          plans.set(p.servicePlanId, { servicePlanId: p.servicePlanId, service: serviceOf(p.servicePlanName) });
      const assignedDateTime = isoSeconds(Date.parse(def.createdDateTime) + DAY);
      const admin = liveUser(def, 0)?.record.userPrincipalName ?? `admin@${def.naming.initialDomain}`;
      return {
        id: def.tenantId,
        deletedDateTime: null,
        businessPhones: rng.chance(0.7) ? [`+44 20 7946 ${String(rng.between(0, 9999)).padStart(4, '0')}`] : [],
        city: rng.chance(0.6) ? rng.pick(['London', 'Zürich', 'Köln', 'Paris', 'Oslo']) : null,
        country: null,
        countryLetterCode: def.countryLetterCode,
        createdDateTime: def.createdDateTime,
        defaultUsageLocation: null,
        displayName: def.naming.displayName,
        isMultipleDataLocationsForServicesEnabled: null,
        marketingNotificationEmails: [],
        onPremisesLastSyncDateTime: null,
        onPremisesSyncEnabled: null,
        partnerTenantType: def.index === -1 ? 'ResellerPartnerDelegatedAdmin' : null,
        postalCode: null,
        preferredLanguage: 'en',
        securityComplianceNotificationMails: [],
        securityComplianceNotificationPhones: [],
        state: null,
        street: null,
        technicalNotificationMails: [admin],
        tenantType: 'AAD',
        directorySizeQuota: { used: userSlotCount(def) + 20, total: 300000 },
        assignedPlans: [...plans.values()].map((p) => ({
          assignedDateTime,
          capabilityStatus: 'Enabled',
          service: p.service,
          servicePlanId: p.servicePlanId,
        })),
        privacyProfile: { contactEmail: '', statementUrl: '' },
        provisionedPlans: [...new Set([...plans.values()].map((p) => p.service))].map((service) => ({
          capabilityStatus: 'Enabled',
          provisioningStatus: 'Success',
          service,
        })),
        verifiedDomains: def.domains
          .filter((d) => d.isVerified)
          .map((d) => ({
            capabilities: d.supportedServices.filter((s) => s !== 'Intune').join(', ') || 'None',
            isDefault: d.isDefault,
            isInitial: d.isInitial,
            name: d.id,
            type: d.authenticationType,
          })),
      };
    },
    domains: (t) => need(t).domains,
    subscribedSkus(tenantId) {
      const def = need(tenantId);
      const listed = def.index >= 0 ? explicit?.[def.index]?.subscribedSkus : undefined;
      if (listed) return structuredClone(listed);
      const consumed = consumedUnits(def);
      const rng = rngFrom(seed, 'subscriptions', def.tenantId);
      return def.naming.skuPlan.skus.map((s) => {
        const sku = SKUS[s.key];
        const used = consumed.get(sku.skuId) ?? 0;
        // Prepaid units are what the tenant bought: what its generated users use plus the spare
        // ones. Assigning or removing a licence changes consumedUnits, never the units bought.
        const units = (baseConsumedUnits(def).get(sku.skuId) ?? 0) + s.extraUnits;
        return {
          accountName: def.naming.displayName,
          accountId: def.tenantId,
          appliesTo: 'User',
          capabilityStatus: s.suspended ? 'Suspended' : 'Enabled',
          consumedUnits: used,
          id: `${def.tenantId}_${sku.skuId}`,
          prepaidUnits: { enabled: s.suspended ? 0 : units, lockedOut: 0, suspended: s.suspended ? units : 0, warning: 0 },
          servicePlans: sku.servicePlans.map((p) => ({ ...p, provisioningStatus: s.suspended ? 'Disabled' : 'Success' })),
          skuId: sku.skuId,
          skuPartNumber: sku.skuPartNumber,
          subscriptionIds: [guidFrom(rng)],
        };
      });
    },
    hasIntune: (t) => need(t).traits.intune,
    hasPremium: (t) => need(t).traits.premium,
    reportsConcealed(t) {
      const def = need(t);
      return states.get(def.tenantId)?.reportsConcealed ?? def.traits.reportsConcealed;
    },

    userSlotCount: (t) => userSlotCount(need(t)),
    userAt: (t, slot) => liveUser(need(t), slot),
    user(t, userId) {
      const def = need(t);
      const slot = slotOfUser(def, userId);
      return slot === undefined ? undefined : liveUser(def, slot);
    },
    removalReason(t, slot) {
      const entry = states.get(need(t).tenantId)?.users.get(slot);
      return entry && 'deleted' in entry ? entry.deleted : undefined;
    },
    userCount(t) {
      const def = need(t);
      let n = 0;
      for (const _ of liveUsers(def)) n++;
      return n;
    },
    groups: (t) => groupsOf(need(t)),
    group: (t, id) => groupsOf(need(t)).find((g) => g.record.id === id.toLowerCase()),
    groupMembers(t, groupId) {
      const def = need(t);
      const groups = groupsOf(def);
      const group = groups.find((g) => g.record.id === groupId.toLowerCase());
      if (!group) return [];
      const members: ReturnType<World['groupMembers']> = [];
      const overlay = states.get(def.tenantId)?.membership?.get(group.record.id);
      for (const user of liveUsers(def)) {
        const id = user.record.id;
        const member = overlay?.added.has(id) || (groupHasUser(group.rule, user) && !overlay?.removed.has(id));
        if (member) members.push({ kind: 'user', user });
      }
      for (const nestedId of group.nestedGroupIds) {
        const nested = groups.find((g) => g.record.id === nestedId);
        if (nested) members.push({ kind: 'group', group: nested });
      }
      return members;
    },
    deviceSlotCount: (t) => deviceSlotCount(need(t)),
    deviceAt: (t, slot) => deviceAt(need(t), slot),
    device(t, deviceId) {
      const def = need(t);
      const slot = slotOfDevice(def, deviceId);
      return slot === undefined ? undefined : deviceAt(def, slot);
    },
    mailboxUsage(t) {
      const def = need(t);
      const rows: MailboxUsageRow[] = [];
      const slots = userSlotCount(def);
      for (let slot = 0; slot < slots; slot++) {
        const entry = slotEntry(def, slot);
        if (!entry || ('deleted' in entry && entry.deleted === 'deleted')) continue;
        const user = 'deleted' in entry ? entry.user : entry;
        if (hasMailbox(user)) rows.push(mailboxUsageRow(ctx, def.tenantId, user));
      }
      return rows;
    },
    activeUserDetail(t) {
      const def = need(t);
      const rows: ActiveUserRow[] = [];
      const slots = userSlotCount(def);
      for (let slot = 0; slot < slots; slot++) {
        const entry = slotEntry(def, slot);
        if (!entry || ('deleted' in entry && entry.deleted === 'deleted')) continue;
        const user = 'deleted' in entry ? entry.user : entry;
        if (user.record.userType === 'Member') rows.push(activeUserRow(ctx, def.tenantId, user));
      }
      return rows;
    },

    contracts() {
      const out: ContractRecord[] = [];
      for (let i = 0; i < store.customerTotal(); i++) {
        const p = profileAt(i);
        if (!p.traits.contract) continue;
        const rng = rngFrom(seed, 'contract', i);
        out.push({
          contractType: 'ResellerPartner',
          customerId: p.tenantId,
          defaultDomainName: p.defaultDomain,
          displayName: p.displayName,
          id: guidFrom(rng),
        });
      }
      return out;
    },

    changeSequence: () => store.changeSequence(),
    userChangesSince(t, seq) {
      const changes = states.get(need(t).tenantId)?.changes ?? [];
      // changes are appended in sequence order: binary search for the first one after seq
      let lo = 0,
        hi = changes.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((changes[mid] as UserChange).seq <= seq) lo = mid + 1;
        else hi = mid;
      }
      return changes.slice(lo);
    },
    cacheStats() {
      let generatedUsers = 0;
      for (const c of caches.values()) generatedUsers += c.generatedUsers;
      return { cachedTenants: caches.size, mutatedTenants: states.size, generatedUsers };
    },
  };
  return read;
}

/** Organization.assignedPlans names services, not plans (sample: "exchange", "SCO"). */
function serviceOf(servicePlanName: string): string {
  if (servicePlanName.startsWith('EXCHANGE')) return 'exchange';
  if (servicePlanName.startsWith('SHAREPOINT')) return 'SharePoint';
  if (servicePlanName === 'INTUNE_A') return 'SCO';
  if (servicePlanName === 'AAD_PREMIUM') return 'AADPremiumService';
  if (servicePlanName === 'TEAMS1') return 'TeamspaceAPI';
  if (servicePlanName === 'MCOSTANDARD') return 'MicrosoftCommunicationsOnline';
  if (servicePlanName.startsWith('OFFICE')) return 'MicrosoftOffice';
  if (servicePlanName === 'YAMMER_ENTERPRISE') return 'YammerEnterprise';
  return 'ProcessSimple';
}
