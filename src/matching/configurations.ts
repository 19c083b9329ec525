// Intune managed devices → configurations, inside the tenant's matched organization
// (issue 7, "Configurations"): linked → serial → name → create; ties are reviewed.
import type { Configuration, GraphManagedDevice, Tenant } from './input-schema.ts';
import { cappedCandidates, type ConfigurationDecision, type ConfigurationRule, type ContactDecision } from './decisions.ts';
import { normalizeDeviceName, normalizeEmail, normalizeSerial } from './normalize.ts';
import { addTo } from './multimap.ts';

/** What configuration matching needs of a tenant. */
export type TenantForConfigurationMatching = Pick<Tenant, 'id' | 'users' | 'managedDevices'>;

export interface ConfigurationIndex {
  readonly organizationId: string;
  readonly byId: ReadonlyMap<string, Configuration>;
  readonly byIntuneDeviceId: ReadonlyMap<string, readonly string[]>;
  readonly bySerial: ReadonlyMap<string, readonly string[]>;
  readonly byName: ReadonlyMap<string, readonly string[]>;
}

const deviceIdKey = (id: string | null | undefined) => (id ? id.trim().toLowerCase() : '');

/** Configurations of other organizations are left out: they are never candidates. */
export function indexConfigurations(organizationId: string, configurations: Iterable<Configuration>): ConfigurationIndex {
  const byId = new Map<string, Configuration>();
  const byIntuneDeviceId = new Map<string, string[]>();
  const bySerial = new Map<string, string[]>();
  const byName = new Map<string, string[]>();
  for (const configuration of configurations) {
    if (configuration.organizationId !== organizationId || byId.has(configuration.id)) continue;
    byId.set(configuration.id, configuration);
    addTo(byIntuneDeviceId, deviceIdKey(configuration.intuneDeviceId), configuration.id);
    addTo(bySerial, normalizeSerial(configuration.serialNumber), configuration.id);
    addTo(byName, normalizeDeviceName(configuration.name), configuration.id);
  }
  return { organizationId, byId, byIntuneDeviceId, bySerial, byName };
}

/**
 * @param contactDecisions this tenant's contact decisions (matchContacts): the device's related
 *   contact is the contact matched to its primary user (by user id, else by UPN).
 */
export function matchConfigurations(
  tenant: TenantForConfigurationMatching,
  organizationId: string | null,
  configurations: readonly Configuration[] | ConfigurationIndex,
  contactDecisions: readonly ContactDecision[],
): ConfigurationDecision[] {
  const devices = uniqueDevices(tenant.managedDevices);
  if (organizationId === null) {
    return devices.map((device) => ({
      tenantId: tenant.id,
      deviceId: device.id,
      decision: 'pending',
      configurationId: null,
      rule: null,
      contactId: null,
      candidates: [],
    }));
  }
  const index =
    'bySerial' in configurations
      ? (configurations as ConfigurationIndex)
      : indexConfigurations(organizationId, configurations as readonly Configuration[]);
  const relatedContact = primaryUserContacts(tenant, contactDecisions);
  const decisions = devices.map((device): ConfigurationDecision => {
    const { decision, configurationId, rule, candidates, candidateCount } = matchDevice(device, index);
    const contactId = relatedContact(device);
    const counted = candidateCount !== undefined ? { candidateCount } : {};
    return { tenantId: tenant.id, deviceId: device.id, decision, configurationId, rule, contactId, candidates, ...counted };
  });
  return reviewContestedConfigurations(decisions);
}

type DeviceOutcome = Pick<ConfigurationDecision, 'decision' | 'configurationId' | 'rule' | 'candidates' | 'candidateCount'>;

function matchDevice(device: GraphManagedDevice, index: ConfigurationIndex): DeviceOutcome {
  const linked = index.byIntuneDeviceId.get(deviceIdKey(device.id)) ?? [];
  if (linked.length === 1) return { decision: 'match', configurationId: linked[0] as string, rule: 'linked', candidates: [] };
  if (linked.length > 1) return { decision: 'review', configurationId: null, rule: 'linked', ...cappedCandidates(linked) };

  const serial = normalizeSerial(device.serialNumber);
  const steps: Array<[ConfigurationRule, readonly string[]]> = [
    ['serial', serial ? (index.bySerial.get(serial) ?? []) : []],
    // A configuration with a real serial other than the device's is other hardware, whatever its name.
    ['name', (index.byName.get(normalizeDeviceName(device.deviceName)) ?? []).filter((id) => !serialsDiffer(serial, index.byId.get(id)))],
  ];
  for (const [rule, candidates] of steps) {
    if (candidates.length === 0) continue;
    if (candidates.length > 1) return { decision: 'review', configurationId: null, rule, ...cappedCandidates(candidates) };
    const configurationId = candidates[0] as string;
    const linkedTo = deviceIdKey(index.byId.get(configurationId)?.intuneDeviceId);
    // Already documented as another Intune device: a re-enrolment or a clash; a technician decides.
    if (linkedTo && linkedTo !== deviceIdKey(device.id))
      return { decision: 'review', configurationId: null, rule, candidates: [configurationId] };
    return { decision: 'match', configurationId, rule, candidates: [] };
  }
  return { decision: 'create', configurationId: null, rule: null, candidates: [] };
}

function serialsDiffer(deviceSerial: string, configuration: Configuration | undefined): boolean {
  const configurationSerial = normalizeSerial(configuration?.serialNumber);
  return deviceSerial !== '' && configurationSerial !== '' && deviceSerial !== configurationSerial;
}

function uniqueDevices(devices: readonly GraphManagedDevice[]): GraphManagedDevice[] {
  const latest = new Map<string, GraphManagedDevice>();
  for (const device of devices) latest.set(device.id, device);
  if (latest.size === devices.length) return devices as GraphManagedDevice[];
  const seen = new Set<string>();
  const result: GraphManagedDevice[] = [];
  for (const device of devices) {
    if (seen.has(device.id)) continue;
    seen.add(device.id);
    result.push(latest.get(device.id) as GraphManagedDevice);
  }
  return result;
}

function primaryUserContacts(
  tenant: TenantForConfigurationMatching,
  contactDecisions: readonly ContactDecision[],
): (device: GraphManagedDevice) => string | null {
  const contactByUserId = new Map<string, string>();
  for (const d of contactDecisions)
    if (d.decision === 'match' && d.contactId && d.tenantId === tenant.id) contactByUserId.set(d.userId, d.contactId);
  let knownUserIds: Set<string> | undefined;
  let userIdByUpn: Map<string, string> | undefined;
  return (device) => {
    const userId = device.userId?.trim();
    knownUserIds ??= new Set(tenant.users.map((u) => u.id));
    if (userId && knownUserIds.has(userId)) return contactByUserId.get(userId) ?? null;
    const upn = normalizeEmail(device.userPrincipalName);
    if (!upn) return null;
    userIdByUpn ??= new Map(tenant.users.map((u) => [normalizeEmail(u.userPrincipalName), u.id]));
    const byUpn = userIdByUpn.get(upn);
    return byUpn ? (contactByUserId.get(byUpn) ?? null) : null;
  };
}

/** A configuration two devices claim is reviewed for both. */
function reviewContestedConfigurations(decisions: ConfigurationDecision[]): ConfigurationDecision[] {
  const claims = new Map<string, number>();
  for (const d of decisions)
    if (d.decision === 'match' && d.configurationId) claims.set(d.configurationId, (claims.get(d.configurationId) ?? 0) + 1);
  if (![...claims.values()].some((count) => count > 1)) return decisions;
  return decisions.map((d) =>
    d.decision === 'match' && d.configurationId && (claims.get(d.configurationId) ?? 0) > 1
      ? { ...d, decision: 'review', configurationId: null, candidates: [d.configurationId] }
      : d,
  );
}
