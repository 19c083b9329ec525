// Tenant discovery for an integration: which customer tenants docsync can reach, through
// which GDAP relationship, with which roles, and what it can read there. Writes the tenants
// table — upserts only: a tenant whose relationship ended is marked inactive with the reason,
// never deleted (its documentation stays). Returns warnings for the sync log.
//
// Requests per GDAP discovery: relationships (1 page per 300), customers (1 per 300),
// contracts (1), access assignments ($batch of 20 relationships per request), then per
// reachable tenant one token + one $batch with the permission probes and /organization.
import type { Kysely } from 'kysely';
import type { Database, TenantHealth } from '../db/schema.ts';
import type { Clock } from '../time.ts';
import type { Logger } from '../logger.ts';
import type { IntegrationStore, IntegrationView } from './integrations.ts';
import type { GraphClientFactory, GraphCounters, TenantGraph } from './graph-client.ts';
import { MicrosoftError } from './errors.ts';
import { cleanJson } from './text.ts';
import {
  contractsResource,
  customersResource,
  myGroupsResource,
  parseAccessAssignment,
  parseOrganization,
  parseReportSettings,
  relationshipsResource,
  type DelegatedAdminAccessAssignment,
  type DelegatedAdminRelationship,
  type GraphContract,
  type GraphOrganization,
  type GraphResource,
} from './resources.ts';
import { GDAP_ROLE_NEEDS, roleName, type Capability } from './scopes.ts';
import { DAY_MS } from '../time.ts';
import { knownTenantsOfIntegration, markTenantsUnlisted, upsertDiscoveredTenant } from '../stores/tenants.ts';

/** Warn this many days before a relationship without auto-extend ends. */
export const RELATIONSHIP_END_WARNING_DAYS = 30;
const PERMISSION_CHECK_CONCURRENCY = 8;

export interface DiscoveryWarning {
  tenantId: string | null;
  code: string;
  message: string;
  action: string;
}

export interface PermissionCheck {
  ok: boolean;
  reason?: string;
}

export interface TenantPermissions {
  users: PermissionCheck;
  signInActivity: PermissionCheck;
  devices: PermissionCheck;
  reports: PermissionCheck;
  /** Usage reports show hashed names ("Display concealed user names" is on). */
  reportsConcealed?: boolean;
  checkedAt: string;
}

export interface DiscoveredTenant {
  tenantId: string;
  displayName: string;
  defaultDomain: string | null;
  domains: string[];
  accessKind: 'gdap' | 'dap' | 'direct';
  relationshipId: string | null;
  relationshipStatus: string | null;
  relationshipEndAt: string | null;
  autoExtend: boolean;
  roles: Array<{ id: string; name: string }>;
  active: boolean;
  inactiveReason: string | null;
  health: TenantHealth;
  healthReason: string | null;
  permissions: TenantPermissions | null;
  isNew: boolean;
}

export interface DiscoveryReport {
  integrationId: string;
  tenants: DiscoveredTenant[];
  counts: { discovered: number; active: number; inactive: number; new: number; ok: number; warning: number; failing: number };
  warnings: DiscoveryWarning[];
  graphRequests: number;
  throttled: number;
}

export interface Discovery {
  discover(integrationId: string): Promise<DiscoveryReport>;
  /** The permission check for one tenant (also used before each sync). */
  checkTenant(
    integrationId: string,
    tenantId: string,
    counters?: GraphCounters,
    tenantName?: string,
  ): Promise<{ permissions: TenantPermissions; organization: GraphOrganization | null; warnings: DiscoveryWarning[] }>;
}

export interface DiscoveryDeps {
  db: Kysely<Database>;
  integrations: Pick<IntegrationStore, 'get'>;
  tokens: { accessToken(integrationId: string, tenantId: string): Promise<string> };
  graph: GraphClientFactory;
  clock: Clock;
  log: Logger;
}

/** Relationship statuses that will never grant access again ("expiring": its end was reached, G:gdap). */
const ENDED = new Set(['expiring', 'expired', 'terminated', 'terminating', 'terminationrequested']);
const PENDING = new Set(['created', 'approvalpending', 'approved', 'activating']);

export function createDiscovery(deps: DiscoveryDeps): Discovery {
  const { db, clock, log } = deps;

  async function checkTenant(
    integrationId: string,
    tenantId: string,
    counters: GraphCounters = { graphRequests: 0, throttled: 0 },
    tenantName?: string,
  ) {
    const graph = deps.graph.forTenant(integrationId, tenantId, counters);
    return probePermissions(graph, tenantId, tenantName ?? tenantId, clock.now());
  }

  return {
    checkTenant,
    async discover(integrationId) {
      const integration = await deps.integrations.get(integrationId);
      const counters: GraphCounters = { graphRequests: 0, throttled: 0 };
      const warnings: DiscoveryWarning[] = [];
      const now = clock.now();

      const found = integration.kind === 'gdap' ? await discoverGdap(integration, counters, warnings, now) : [directTenant(integration)];

      // Permission check (and verified domains) where docsync can reach the tenant.
      await forEachLimited(
        found.filter((t) => t.active),
        PERMISSION_CHECK_CONCURRENCY,
        async (tenant) => {
          try {
            await deps.tokens.accessToken(integrationId, tenant.tenantId);
            const result = await checkTenant(integrationId, tenant.tenantId, counters, tenant.displayName);
            tenant.permissions = result.permissions;
            warnings.push(...result.warnings);
            if (result.organization) applyOrganization(tenant, result.organization);
            if (!result.permissions.users.ok) degrade(tenant, 'failing', result.permissions.users.reason ?? 'users cannot be read');
            else {
              const missing = (['signInActivity', 'devices', 'reports'] as const).filter((c) => !result.permissions[c].ok);
              if (missing.length > 0) degrade(tenant, 'warning', `cannot read ${missing.map(describeCapability).join(', ')}`);
            }
            if (result.permissions.reportsConcealed) degrade(tenant, 'warning', 'usage reports show concealed (hashed) user names');
          } catch (error) {
            if (!(error instanceof MicrosoftError) || error.scope === 'partner') throw error;
            degrade(tenant, 'failing', `${error.message}: ${error.action}`);
            warnings.push({ tenantId: tenant.tenantId, code: error.code, message: error.message, action: error.action ?? '' });
          }
        },
      );

      const known = await knownTenantsOfIntegration(db, integrationId);
      const knownIds = new Set(known.map((t) => t.microsoft_tenant_id));
      for (const tenant of found) tenant.isNew = !knownIds.has(tenant.tenantId);
      await upsertTenants(integrationId, found, now, warnings);

      // A tenant we knew but Microsoft no longer lists: keep it (and its documentation), inactive.
      const listed = new Set(found.map((t) => t.tenantId));
      const vanished = known.filter((t) => !listed.has(t.microsoft_tenant_id) && t.active).map((t) => t.microsoft_tenant_id);
      if (vanished.length > 0) {
        await markTenantsUnlisted(db, integrationId, vanished, now);
        for (const tenantId of vanished)
          warnings.push({
            tenantId,
            code: 'tenant_unlisted',
            message: `tenant ${tenantId} is no longer listed among the partner's customers`,
            action: 'nothing to do if the customer left; its documentation is kept',
          });
      }

      const counts = { discovered: found.length, active: 0, inactive: 0, new: 0, ok: 0, warning: 0, failing: 0 };
      for (const t of found) {
        counts[t.active ? 'active' : 'inactive'] += 1;
        if (t.isNew) counts.new += 1;
        if (t.health !== 'unknown') counts[t.health] += 1;
      }
      log.info({ integrationId, ...counts, graphRequests: counters.graphRequests }, 'discovery finished');
      return { integrationId, tenants: found, counts, warnings, graphRequests: counters.graphRequests, throttled: counters.throttled };
    },
  };

  async function discoverGdap(
    integration: IntegrationView,
    counters: GraphCounters,
    warnings: DiscoveryWarning[],
    now: Date,
  ): Promise<DiscoveredTenant[]> {
    const partner = deps.graph.forTenant(integration.id, integration.tenantId, counters);
    let relationships: DelegatedAdminRelationship[];
    try {
      relationships = await collect(partner, relationshipsResource);
    } catch (error) {
      if (
        error instanceof MicrosoftError &&
        error.scope === 'tenant' &&
        (error.code === 'permission_missing' || error.code === 'graph_request_failed')
      ) {
        // Without the relationship list nothing else can be known: an integration-level problem.
        throw new MicrosoftError(
          'permission_missing',
          'partner',
          'docsync cannot read the GDAP relationships in the partner tenant',
          'sign in with an account of the partner tenant and consent DelegatedAdminRelationship.Read.All (reconnect the integration)',
          error.details,
        );
      }
      throw error;
    }
    const customers = await collect(partner, customersResource).catch((error: unknown) => {
      warnings.push(asWarning(null, error, 'customer names from delegatedAdminCustomers are unavailable'));
      return [];
    });
    const contracts = await collect(partner, contractsResource).catch((error: unknown) => {
      warnings.push(asWarning(null, error, 'customers without GDAP (contracts) could not be listed'));
      return [] as GraphContract[];
    });
    const assignments = await accessAssignments(
      partner,
      relationships.filter((r) => r.status.toLowerCase() === 'active'),
      warnings,
    );
    // A role reaches docsync only through an assignment to a group the service account is in.
    const accountGroups = await collect(partner, myGroupsResource).then(
      (groups) => new Set(groups.map((g) => g.id)),
      (error: unknown) => {
        const why = "the GDAP service account's security groups could not be read, so every active access assignment is counted";
        warnings.push(asWarning(null, error, why));
        return null;
      },
    );

    const byCustomer = new Map<string, DelegatedAdminRelationship[]>();
    for (const r of relationships) byCustomer.set(r.customer.tenantId, [...(byCustomer.get(r.customer.tenantId) ?? []), r]);
    const customerNames = new Map(customers.map((c) => [c.tenantId, c.displayName]));
    const contractsById = new Map(contracts.map((c) => [c.customerId, c]));

    const tenants: DiscoveredTenant[] = [];
    for (const [tenantId, list] of byCustomer) {
      const relationship = pickRelationship(list);
      const contract = contractsById.get(tenantId);
      const tenant = blankTenant(
        tenantId,
        relationship.customer.displayName ?? customerNames.get(tenantId) ?? contract?.displayName ?? tenantId,
        'gdap',
      );
      tenant.defaultDomain = contract?.defaultDomainName ?? null;
      tenant.relationshipId = relationship.id;
      tenant.relationshipStatus = relationship.status;
      tenant.relationshipEndAt = relationship.endDateTime;
      tenant.autoExtend = isAutoExtend(relationship.autoExtendDuration);
      const status = relationship.status.toLowerCase();
      if (status === 'active') {
        const allActive = (assignments.get(relationship.id) ?? []).filter((a) => a.status.toLowerCase() === 'active');
        const isMine = (a: DelegatedAdminAccessAssignment) =>
          accountGroups === null || (a.securityGroupId !== null && accountGroups.has(a.securityGroupId.toLowerCase()));
        const active = allActive.filter(isMine);
        const roles = new Set(active.flatMap((a) => a.roleDefinitionIds));
        tenant.roles = [...roles].map((id) => ({ id, name: roleName(id) }));
        // Roles given to groups the service account is not in: say which group lacks the account.
        for (const other of allActive.filter((a) => !isMine(a))) {
          const unreachable = other.roleDefinitionIds.filter((id) => !roles.has(id));
          if (unreachable.length === 0) continue;
          const group = other.securityGroupId ?? '(unknown)';
          const roleNames = unreachable.map(roleName).join(', ');
          warnings.push({
            tenantId,
            code: 'gdap_group_not_member',
            message:
              `tenant ${tenant.displayName}: security group ${group} has ${roleNames} ` +
              `in the relationship "${relationship.displayName ?? relationship.id}", but the GDAP service account is not a member of it, ` +
              `so docsync does not get ${unreachable.length === 1 ? 'that role' : 'those roles'}`,
            action:
              `add the GDAP service account to security group ${group} in the partner tenant, ` +
              `or give one of its own groups ${roleNames} in that relationship`,
          });
        }
        if (active.length === 0) {
          const whose = allActive.length === 0 ? 'no security group' : 'no security group of the GDAP service account';
          degrade(tenant, 'failing', `${whose} has an active role in this relationship`);
          warnings.push({
            tenantId,
            code: 'gdap_role_missing',
            message:
              `tenant ${tenant.displayName}: the GDAP relationship has no active access assignment` +
              (allActive.length === 0 ? '' : ' for a security group the GDAP service account is in'),
            action: "add docsync's security group with Directory Readers and Global Reader to the relationship in Partner Center",
          });
        } else {
          const missing = GDAP_ROLE_NEEDS.filter((need) => !need.anyOf.some((id) => roles.has(id)));
          for (const need of missing) {
            warnings.push({
              tenantId,
              code: 'gdap_role_missing',
              message: `tenant ${tenant.displayName}: no GDAP role for ${need.feature}`,
              action:
                `add ${need.recommended} to the access assignment of docsync's security group in the relationship ` +
                `"${relationship.displayName ?? relationship.id}"`,
            });
          }
          if (missing.length > 0)
            degrade(
              tenant,
              missing.some((n) => n.capability === 'users') ? 'failing' : 'warning',
              `missing GDAP role for ${missing.map((n) => n.feature).join(', ')}`,
            );
        }
        if (relationship.endDateTime && !tenant.autoExtend) {
          const daysLeft = Math.ceil((Date.parse(relationship.endDateTime) - now.getTime()) / DAY_MS);
          if (daysLeft <= RELATIONSHIP_END_WARNING_DAYS) {
            degrade(tenant, 'warning', `the GDAP relationship ends in ${Math.max(0, daysLeft)} days`);
            warnings.push({
              tenantId,
              code: 'relationship_ending',
              message: `tenant ${tenant.displayName}: the GDAP relationship ends on ${relationship.endDateTime.slice(0, 10)}`,
              action: 'extend the relationship or turn on auto-extend in Partner Center',
            });
          }
        }
      } else if (ENDED.has(status)) {
        tenant.active = false;
        // "expiring" reads like "still active for a while", but Microsoft sets it once the end is reached.
        const ended = relationship.endDateTime ? `, ${relationship.endDateTime.slice(0, 10)}` : '';
        tenant.inactiveReason = `the GDAP relationship has ended (${relationship.status}${ended})`;
        degrade(tenant, 'failing', tenant.inactiveReason);
        warnings.push({
          tenantId,
          code: 'relationship_ended',
          message: `tenant ${tenant.displayName}: ${tenant.inactiveReason}`,
          action: 'create a new GDAP relationship in Partner Center if you still manage this customer; its documentation is kept',
        });
      } else {
        tenant.active = false;
        tenant.inactiveReason = PENDING.has(status)
          ? `the GDAP relationship is waiting (${relationship.status})`
          : `the GDAP relationship status is ${relationship.status}`;
        degrade(tenant, 'warning', tenant.inactiveReason);
        warnings.push({
          tenantId,
          code: 'relationship_pending',
          message: `tenant ${tenant.displayName}: ${tenant.inactiveReason}`,
          action: 'ask the customer to approve the GDAP relationship request',
        });
      }
      tenants.push(tenant);
    }

    // Customers found only in /contracts: a reseller or advisor partnership (CSP contract), which
    // grants no admin access by itself. Without a GDAP relationship docsync cannot reach them.
    for (const contract of contracts) {
      if (byCustomer.has(contract.customerId)) continue;
      const tenant = blankTenant(contract.customerId, contract.displayName ?? contract.customerId, 'dap');
      tenant.defaultDomain = contract.defaultDomainName;
      tenant.active = false;
      tenant.inactiveReason = 'no GDAP relationship (reseller contract only)';
      degrade(tenant, 'failing', 'no GDAP relationship: the partner only has a reseller contract with this customer (no access)');
      warnings.push({
        tenantId: contract.customerId,
        code: 'gdap_missing',
        message: `tenant ${tenant.displayName} has no GDAP relationship (reseller contract only)`,
        action: 'create a GDAP relationship with Directory Readers and Global Reader in Partner Center',
      });
      tenants.push(tenant);
    }
    return tenants;
  }

  async function accessAssignments(partner: TenantGraph, relationships: DelegatedAdminRelationship[], warnings: DiscoveryWarning[]) {
    const result = new Map<string, DelegatedAdminAccessAssignment[]>();
    // $batch: 20 relationships' assignments per request instead of 20 requests.
    for (let i = 0; i < relationships.length; i += 20) {
      const chunk = relationships.slice(i, i + 20);
      const answers = await partner.batch(
        chunk.map((r, n) => ({
          id: String(n),
          url: `/tenantRelationships/delegatedAdminRelationships/${encodeURIComponent(r.id)}/accessAssignments?$top=300`,
        })),
      );
      for (const answer of answers) {
        const relationship = chunk[Number(answer.id)]!;
        if (answer.status !== 200) {
          warnings.push({
            tenantId: relationship.customer.tenantId,
            code: 'access_assignments_unreadable',
            message:
              `the access assignments of relationship ${relationship.displayName ?? relationship.id} could not be read (HTTP ` +
              `${answer.status})`,
            action: 'run discovery again later',
          });
          continue;
        }
        const values = (answer.body as { value?: unknown[] } | null)?.value ?? [];
        const parsed: DelegatedAdminAccessAssignment[] = [];
        for (const raw of values) {
          const p = parseAccessAssignment(raw);
          if (p.ok) parsed.push(p.value);
        }
        result.set(relationship.id, parsed);
      }
    }
    return result;
  }

  /** One statement per tenant, each on its own: a row the database refuses never blocks the others. */
  async function upsertTenants(integrationId: string, tenants: DiscoveredTenant[], now: Date, warnings: DiscoveryWarning[]) {
    for (const t of tenants) {
      try {
        await upsertTenant(integrationId, t, now);
      } catch (error) {
        log.error({ integrationId, tenantId: t.tenantId, err: error }, 'discovery could not store a tenant');
        warnings.push({
          tenantId: t.tenantId,
          code: 'tenant_not_stored',
          message: `tenant ${t.tenantId} could not be stored: ${(error as Error).message}`,
          action: 'report this to the docsync maintainers with the log; the other tenants were stored',
        });
      }
    }
  }

  async function upsertTenant(integrationId: string, tenant: DiscoveredTenant, now: Date) {
    // Names come cleaned from the Graph client; cleaned again here, the last line before Postgres.
    const t = cleanJson(tenant).value;
    await upsertDiscoveredTenant(db, integrationId, { ...t, microsoftTenantId: t.tenantId }, now);
  }
}

function directTenant(integration: IntegrationView): DiscoveredTenant {
  return blankTenant(integration.tenantId, integration.name, 'direct');
}

function blankTenant(tenantId: string, displayName: string, accessKind: DiscoveredTenant['accessKind']): DiscoveredTenant {
  return {
    tenantId: tenantId.toLowerCase(),
    displayName,
    defaultDomain: null,
    domains: [],
    accessKind,
    relationshipId: null,
    relationshipStatus: null,
    relationshipEndAt: null,
    autoExtend: false,
    roles: [],
    active: true,
    inactiveReason: null,
    health: 'ok',
    healthReason: null,
    permissions: null,
    isNew: false,
  };
}

const SEVERITY: Record<TenantHealth, number> = { unknown: 0, ok: 1, warning: 2, failing: 3 };
/** Health only gets worse within one discovery; reasons accumulate. */
function degrade(tenant: DiscoveredTenant, health: TenantHealth, reason: string) {
  if (SEVERITY[health] > SEVERITY[tenant.health]) tenant.health = health;
  tenant.healthReason = tenant.healthReason ? `${tenant.healthReason}; ${reason}` : reason;
}

function applyOrganization(tenant: DiscoveredTenant, organization: GraphOrganization) {
  if (organization.displayName) tenant.displayName = organization.displayName;
  tenant.domains = organization.verifiedDomains.map((d) => d.name.toLowerCase());
  tenant.defaultDomain = organization.verifiedDomains.find((d) => d.isDefault)?.name.toLowerCase() ?? tenant.defaultDomain;
}

/** "PT0S" / "P0D" / null: no auto-extend; any positive duration (P180D): auto-extends. */
export function isAutoExtend(duration: string | null): boolean {
  if (!duration) return false;
  return /[1-9]/.test(duration);
}

/** Active beats everything; otherwise the most recently ending one says why access stopped. */
function pickRelationship(list: DelegatedAdminRelationship[]): DelegatedAdminRelationship {
  const active = list.filter((r) => r.status.toLowerCase() === 'active');
  const pool = active.length > 0 ? active : list;
  return [...pool].sort((a, b) => Date.parse(b.endDateTime ?? '1970-01-01') - Date.parse(a.endDateTime ?? '1970-01-01'))[0]!;
}

function describeCapability(capability: Capability): string {
  return { users: 'users', signInActivity: 'sign-in activity', devices: 'Intune devices', reports: 'usage reports' }[capability];
}

async function collect<T>(graph: TenantGraph, resource: GraphResource<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of graph.listAll(resource)) all.push(...page);
  return all;
}

function asWarning(tenantId: string | null, error: unknown, fallback: string): DiscoveryWarning {
  if (error instanceof MicrosoftError) {
    if (error.scope === 'partner') throw error;
    return { tenantId, code: error.code, message: `${fallback}: ${error.message}`, action: error.action ?? '' };
  }
  throw error;
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}

/**
 * What docsync can read in one tenant: one $batch with users, users+signInActivity, devices,
 * reportSettings and organization. A 403 on one probe is a warning, not a failure of the tenant.
 */
async function probePermissions(graph: TenantGraph, tenantId: string, tenantName: string, now: Date) {
  const answers = await graph.batch([
    { id: 'users', url: '/users?$select=id&$top=1' },
    { id: 'signInActivity', url: '/users?$select=id,signInActivity&$top=1' },
    { id: 'devices', url: '/deviceManagement/managedDevices?$select=id&$top=1' },
    { id: 'reports', url: '/admin/reportSettings' },
    { id: 'organization', url: '/organization?$select=id,displayName,verifiedDomains' },
  ]);
  const byId = new Map(answers.map((a) => [a.id, a]));
  const check = (id: string, missing: string): PermissionCheck => {
    const answer = byId.get(id);
    if (answer && answer.status >= 200 && answer.status < 300) return { ok: true };
    const code = (answer?.body as { error?: { code?: string } } | null)?.error?.code;
    return { ok: false, reason: `${missing} (HTTP ${answer?.status ?? 0}${code ? ` ${code}` : ''})` };
  };
  const permissions: TenantPermissions = {
    users: check('users', 'users cannot be read'),
    signInActivity: check(
      'signInActivity',
      'sign-in activity cannot be read (needs AuditLog.Read.All, a role such as Global Reader, and Entra ID P1/P2 in the tenant)',
    ),
    devices: check('devices', 'Intune devices cannot be read (needs Global Reader or Intune Administrator, and an Intune license)'),
    reports: check('reports', 'usage reports cannot be read (needs Reports Reader or Global Reader)'),
    checkedAt: now.toISOString(),
  };
  const warnings: DiscoveryWarning[] = [];
  const reports = byId.get('reports');
  if (permissions.reports.ok && reports) {
    const settings = parseReportSettings(reports.body);
    if (settings.ok) {
      permissions.reportsConcealed = settings.value.displayConcealedNames;
      if (settings.value.displayConcealedNames) {
        warnings.push({
          tenantId,
          code: 'reports_concealed',
          message: `reports are anonymised in tenant ${tenantName}`,
          action:
            "turn off 'Display concealed user, group and site names' in the Microsoft 365 admin center (Settings → Org settings → Reports)",
        });
      }
    }
  }
  for (const capability of ['users', 'signInActivity', 'devices', 'reports'] as const) {
    const p = permissions[capability];
    if (!p.ok)
      warnings.push({
        tenantId,
        code: 'permission_missing',
        message: `tenant ${tenantName}: ${p.reason}`,
        action: 'the sync continues with what it can read; add the role or scope to read it too',
      });
  }
  let organization: GraphOrganization | null = null;
  const org = byId.get('organization');
  if (org && org.status === 200) {
    const first = (org.body as { value?: unknown[] } | null)?.value?.[0];
    const parsed = parseOrganization(first);
    if (parsed.ok) organization = parsed.value;
  }
  return { permissions, organization, warnings };
}
