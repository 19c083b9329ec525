// Matching and writing one tenant's documentation, in rounds (see deriveDocumentation): the pure
// engine decides, the docs/ writers write, and the decisions that explain it are stored.
import type { Kysely } from 'kysely';
import type { Database, MatchDecision, Tenant } from '../db/schema.ts';
import { matchContacts, matchConfigurations, type ContactDecision } from '../matching/index.ts';
import {
  contactsOfOrganization,
  zeroWrites,
  type ContactFromMicrosoft,
  type OrganizationContact,
  type WriteCounts,
} from '../stores/contacts.ts';
import { configurationsOfOrganization, type ConfigurationFromMicrosoft, type OrganizationConfiguration } from '../stores/configurations.ts';
import {
  createConfigurations,
  createContacts,
  lockOrganizationDocumentation,
  markConfigurationsGone,
  markContactsGone,
  updateLinkedConfigurations,
  updateLinkedContacts,
} from '../stores/documentation-writes.ts';
import { decisionOf, loadDecisions, saveDecisions, type DecisionInput } from '../stores/decisions.ts';
import { writeAsTenantSync, type DecisionCounts } from './fingerprint.ts';
import type { SyncSettings } from './settings.ts';
import type { GraphDomain, GraphManagedDevice, GraphUser } from '../microsoft/tenant-reader.ts';
import { configurationDecisionRow, configurationFromDevice, contactDecisionRow, toGraphDomain } from './documentation-mapping.ts';

export function add(target: WriteCounts, more: WriteCounts): void {
  target.created += more.created;
  target.updated += more.updated;
  target.unchanged += more.unchanged;
}

function chosenFor(
  existing: Map<string, MatchDecision>,
  kind: 'contact' | 'configuration',
  sourceId: string,
  decision: string,
  targetId: string | null,
): { decision: string; targetId: string | null } {
  const technician = decisionOf(existing, kind, sourceId);
  if (!technician?.decided_by_technician) return { decision, targetId };
  const d = technician;
  return { decision: d.state === 'match' || d.state === 'create' ? (d.target_id ? 'match' : d.state) : d.state, targetId: d.target_id };
}

export interface DerivationInput {
  tenant: Tenant;
  organizationId: string | null;
  organizationRow: DecisionInput;
  exclusionRows: DecisionInput[];
  included: GraphUser[];
  presentDevices: GraphManagedDevice[];
  goneUserIds: string[];
  goneDeviceIds: string[];
  domains: GraphDomain[];
  settings: SyncSettings;
  toContact: (user: GraphUser) => ContactFromMicrosoft;
  now: Date;
}

export interface Derivation {
  writes: WriteCounts;
  /** What this run did: users it created contacts for count as "create". */
  effective: DecisionCounts;
  /** What the next run will decide if nothing changes (created contacts are matches then). */
  steady: DecisionCounts;
  flagged: number;
}

/** Rounds of match → write within one run; see deriveDocumentation. */
const MAX_ROUNDS = 3;
// effective_match_decisions shows this sentence for every contact the sync created, without a
// stored row (migration 2026-12-05T0100 holds a copy: change both together).
const CREATED_REASON = 'Created from this Microsoft user by the sync.';

const matchingTenantOf = (input: DerivationInput) => ({
  id: input.tenant.id,
  domains: input.domains.map(toGraphDomain),
  // The engine reads the fields of the same Graph types it was given (src/matching/input-schema.ts).
  users: input.included,
  managedDevices: input.presentDevices,
});

export function decideOnce(input: DerivationInput, contacts: OrganizationContact[], configurations: OrganizationConfiguration[]) {
  const tenant = matchingTenantOf(input);
  const contactDecisions = matchContacts(tenant, input.organizationId, contacts, { includeGuests: input.settings.includeGuests });
  const configurationDecisions = matchConfigurations(tenant, input.organizationId, configurations, contactDecisions);
  const steady: DecisionCounts = { match: 0, create: 0, review: 0, pending: 0, skip: input.exclusionRows.length };
  for (const d of [...contactDecisions, ...configurationDecisions]) steady[d.decision]++;
  return { contactDecisions, configurationDecisions, steady };
}

/**
 * Matches the tenant's users and devices against its organization's documentation and writes
 * what follows, then stores the decisions. Contacts this run creates or links are documentation
 * the next run matches against: a user decided before they existed ("review: the contact with
 * this name is linked to another user") would be decided differently next time (another user's
 * new contact now has the same alias), so a second, unchanged run would rewrite its decision.
 * Hence rounds: match, write, and match again against what was written, until a round writes
 * nothing that matching reads (names, addresses, links). Users and devices acted on in an
 * earlier round keep that round's decision (they are "linked" from then on). The stored
 * decisions are then exactly what the next run computes, and a no-change re-sync writes nothing.
 * Runs under a transaction-scoped lock on the organization: two tenants of one organization
 * (a customer with two tenants) match and write one after the other, each seeing the other's.
 */
export async function deriveDocumentation(trx: Kysely<Database>, input: DerivationInput): Promise<Derivation> {
  const { tenant, organizationId, settings, now } = input;
  const writes = zeroWrites();
  if (organizationId) await lockOrganizationDocumentation(trx, organizationId);
  await writeAsTenantSync(trx, tenant.id);
  const existing = await loadDecisions(trx, tenant.id);
  const usersById = new Map(input.included.map((u) => [u.id, u]));
  const devicesById = new Map(input.presentDevices.map((d) => [d.id, d]));
  // The decision row that explains what this run did, per `kind:id`.
  const actedOn = new Map<string, DecisionInput>();
  const userContact = new Map<string, string>();
  let decided = decideOnce(input, [], []);

  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const contacts = organizationId ? await contactsOfOrganization(trx, organizationId) : [];
    const configurations = organizationId ? await configurationsOfOrganization(trx, organizationId) : [];
    decided = decideOnce(input, contacts, configurations);
    let reshaped = false;

    const links = new Map<string, ContactFromMicrosoft>();
    const toCreate: GraphUser[] = [];
    for (const decision of decided.contactDecisions) {
      const user = usersById.get(decision.userId);
      if (!user || actedOn.has(`contact:${user.id}`)) continue;
      const chosen = chosenFor(existing, 'contact', user.id, decision.decision, decision.contactId);
      if (chosen.decision === 'match' && chosen.targetId) {
        links.set(chosen.targetId, input.toContact(user));
        userContact.set(user.id, chosen.targetId);
        actedOn.set(`contact:${user.id}`, contactDecisionRow(decision));
      } else if (chosen.decision === 'create' && organizationId && settings.autoCreate) {
        toCreate.push(user);
      }
    }
    const contactUpdate = await updateLinkedContacts(trx, {
      tenantId: tenant.id,
      links,
      contacts: new Map(contacts.map((c) => [c.id, c])),
      now,
    });
    add(writes, contactUpdate.counts);
    reshaped ||= contactUpdate.matchingInputsChanged;
    if (toCreate.length > 0 && organizationId) {
      const { created, counts } = await createContacts(trx, {
        organizationId,
        tenantId: tenant.id,
        users: toCreate.map(input.toContact),
        now,
      });
      add(writes, counts);
      for (const [userId, contactId] of created) {
        userContact.set(userId, contactId);
        actedOn.set(`contact:${userId}`, {
          kind: 'contact',
          sourceId: userId,
          state: 'match',
          targetId: contactId,
          rule: 'created',
          candidates: [],
          reason: CREATED_REASON,
        });
      }
      reshaped ||= counts.created > 0;
    }

    const deviceLinks = new Map<string, ConfigurationFromMicrosoft>();
    const devicesToCreate: ConfigurationFromMicrosoft[] = [];
    for (const decision of decided.configurationDecisions) {
      const device = devicesById.get(decision.deviceId);
      if (!device || actedOn.has(`configuration:${device.id}`)) continue;
      const chosen = chosenFor(existing, 'configuration', device.id, decision.decision, decision.configurationId);
      const primaryUser = device.userId && device.userId !== '' ? device.userId : null;
      const record = configurationFromDevice(device, (primaryUser ? userContact.get(primaryUser) : undefined) ?? decision.contactId);
      if (chosen.decision === 'match' && chosen.targetId) {
        deviceLinks.set(chosen.targetId, record);
        actedOn.set(`configuration:${device.id}`, configurationDecisionRow(decision));
      } else if (chosen.decision === 'create' && organizationId && settings.autoCreate) {
        devicesToCreate.push(record);
      }
    }
    const configurationUpdate = await updateLinkedConfigurations(trx, {
      tenantId: tenant.id,
      links: deviceLinks,
      configurations: new Map(configurations.map((c) => [c.id, c])),
      now,
    });
    add(writes, configurationUpdate.counts);
    reshaped ||= configurationUpdate.matchingInputsChanged;
    if (devicesToCreate.length > 0 && organizationId) {
      const { created, counts } = await createConfigurations(trx, {
        organizationId,
        tenantId: tenant.id,
        devices: devicesToCreate,
        now,
      });
      add(writes, counts);
      for (const [deviceId, configurationId] of created) {
        actedOn.set(`configuration:${deviceId}`, {
          kind: 'configuration',
          sourceId: deviceId,
          state: 'match',
          targetId: configurationId,
          rule: 'created',
          candidates: [],
        });
      }
      reshaped ||= counts.created > 0;
    }
    if (!reshaped) break;
  }
  await markContactsGone(trx, { tenantId: tenant.id, microsoftUserIds: input.goneUserIds, now });
  await markConfigurationsGone(trx, { tenantId: tenant.id, intuneDeviceIds: input.goneDeviceIds, now });

  const rows: DecisionInput[] = [input.organizationRow, ...input.exclusionRows];
  const effective: DecisionCounts = { match: 0, create: 0, review: 0, pending: 0, skip: input.exclusionRows.length };
  let flagged = 0;
  const settle = (
    kind: 'contact' | 'configuration',
    sourceId: string,
    decision: ContactDecision['decision'],
    targetId: string | null,
    row: () => DecisionInput,
  ) => {
    const acted = actedOn.get(`${kind}:${sourceId}`);
    effective[acted?.rule === 'created' ? 'create' : decision]++;
    if (chosenFor(existing, kind, sourceId, decision, targetId).decision === 'review') flagged++;
    if (!decisionOf(existing, kind, sourceId)?.decided_by_technician) rows.push(acted ?? row());
  };
  for (const d of decided.contactDecisions) settle('contact', d.userId, d.decision, d.contactId, () => contactDecisionRow(d));
  for (const d of decided.configurationDecisions)
    settle('configuration', d.deviceId, d.decision, d.configurationId, () => configurationDecisionRow(d));
  await saveDecisions(trx, { tenantId: tenant.id, existing, decisions: rows, now });
  return { writes, effective, steady: decided.steady, flagged };
}
