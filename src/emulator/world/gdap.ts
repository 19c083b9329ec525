// GDAP: the partner's delegated admin relationships with its customers and their access
// assignments (G:gdap lifecycle), generated per customer from the seed, with what tests and the
// demo changed (a relationship ended or terminated, roles replaced, another assignment added),
// and the access check the identity platform makes for a partner user in a customer tenant.
import { ROLES } from './catalog.ts';
import { guidFrom, hexString, rngFrom } from './prng.ts';
import type { AccessAssignmentRecord, DelegatedAdminCustomerRecord, RelationshipStatus } from './records.ts';
import { DAY, RELATIONSHIP_ROLES, type RelationshipEntry } from './state.ts';
import type { TenantStore } from './tenant-store.ts';
import { WorldError, type World } from './views.ts';

export type GdapViews = Pick<
  World,
  | 'gdapAccess'
  | 'relationships'
  | 'relationship'
  | 'accessAssignments'
  | 'delegatedAdminCustomers'
  | 'expireRelationship'
  | 'addAccessAssignment'
  | 'terminateRelationship'
  | 'setAccessRoles'
>;

export interface Gdap extends GdapViews {
  etag(...parts: Array<string | number>): string;
  /** A customer was added: relationships are listed again. */
  invalidate(): void;
}

export function createGdap(store: TenantStore, relationshipSuffix: string): Gdap {
  const { seed, explicit, partner, clock, profileAt, customerIndexOf, resolve } = store;
  const { anchorMs } = store.ctx;
  const relationshipOverrides = new Map<number, { status: RelationshipStatus; atMs: number }>();
  const extraAssignments = new Map<number, AccessAssignmentRecord[]>();
  const accessRoleOverrides = new Map<number, string[]>();
  let relationshipList: RelationshipEntry[] | undefined;

  function etag(...parts: Array<string | number>): string {
    const rng = rngFrom(seed, 'etag', ...parts);
    return `W/"${Buffer.from(`"${hexString(rng, 8)}-0000-0200-0000-${hexString(rng, 12)}"`).toString('base64')}"`;
  }

  function relationshipsFor(index: number): RelationshipEntry[] {
    const p = profileAt(index);
    if (p.traits.gdap === 'none') return [];
    const rng = rngFrom(seed, 'gdap', index);
    const entries: RelationshipEntry[] = [];
    const make = (kind: 'current' | 'old'): RelationshipEntry => {
      const expired = kind === 'current' && p.traits.gdap === 'expired';
      const createdMs = anchorMs - (kind === 'old' ? 900 : expired ? 400 : rng.between(30, 600)) * DAY - rng.int(DAY);
      const activatedMs = createdMs + rng.between(60_000, 3 * DAY);
      const durationDays = expired ? 365 : kind === 'old' ? 180 : 730;
      const listed = kind === 'current' ? explicit?.[index]?.relationship : undefined;
      let status: RelationshipStatus = kind === 'old' ? 'terminated' : expired ? 'expired' : (listed?.status ?? 'active');
      let endMs = listed?.endDateTime
        ? Date.parse(listed.endDateTime)
        : kind === 'old'
          ? createdMs + 120 * DAY
          : activatedMs + durationDays * DAY;
      let modifiedMs = kind === 'old' ? endMs : expired ? endMs : activatedMs;
      const override = kind === 'current' ? relationshipOverrides.get(index) : undefined;
      if (override) {
        status = override.status;
        endMs = override.atMs;
        modifiedMs = override.atMs;
      }
      const id = `${guidFrom(rng)}-${relationshipSuffix}`;
      const assignmentRoles =
        accessRoleOverrides.get(index) ??
        listed?.roles ??
        (p.traits.gdap === 'limited' ? [ROLES.directoryReaders] : [ROLES.directoryReaders, ROLES.globalReader]);
      const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '0000Z');
      return {
        customerIndex: index,
        record: {
          '@odata.type': '#microsoft.graph.delegatedAdminRelationship',
          '@odata.etag': etag('rel', id, status),
          id,
          displayName: kind === 'old' ? `DAP transition ${p.displayName}`.slice(0, 50) : `docsync GDAP - ${p.displayName}`.slice(0, 50),
          duration: `P${durationDays}D`,
          customer: { tenantId: p.tenantId, displayName: p.displayName },
          accessDetails: {
            unifiedRoles: [...new Set([...RELATIONSHIP_ROLES, ...assignmentRoles])].map((roleDefinitionId) => ({ roleDefinitionId })),
          },
          status,
          autoExtendDuration: kind === 'current' && !expired ? 'P180D' : 'PT0S',
          createdDateTime: iso(createdMs),
          lastModifiedDateTime: iso(modifiedMs),
          activatedDateTime: iso(activatedMs),
          endDateTime: iso(endMs),
        },
        assignments: [
          {
            '@odata.type': '#microsoft.graph.delegatedAdminAccessAssignment',
            '@odata.etag': etag('assign', id),
            id: guidFrom(rng),
            status: 'active',
            createdDateTime: iso(activatedMs + 60_000),
            lastModifiedDateTime: iso(activatedMs + 120_000),
            accessContainer: { accessContainerId: partner.adminGroupId, accessContainerType: 'securityGroup' },
            accessDetails: { unifiedRoles: assignmentRoles.map((roleDefinitionId) => ({ roleDefinitionId })) },
          },
          ...(kind === 'current' ? (extraAssignments.get(index) ?? []) : []),
        ],
      };
    };
    if (p.traits.oldTerminatedRelationship) entries.push(make('old'));
    entries.push(make('current'));
    return entries;
  }

  function allRelationships(): RelationshipEntry[] {
    if (!relationshipList) {
      relationshipList = [];
      for (let i = 0; i < store.customerTotal(); i++) relationshipList.push(...relationshipsFor(i));
    }
    return relationshipList;
  }

  function partnerUserGroups(partnerUserId: string): string[] {
    return partnerUserId.toLowerCase() === partner.adminUser.id ? [partner.adminGroupId] : [];
  }

  function setRelationshipStatus(t: string, status: RelationshipStatus): void {
    const id = resolve(t);
    const index = id ? customerIndexOf(id) : undefined;
    if (index === undefined || profileAt(index).traits.gdap === 'none')
      throw new WorldError('relationship_not_found', `no GDAP relationship with tenant ${t}`);
    relationshipOverrides.set(index, { status, atMs: clock.now().getTime() });
    relationshipList = undefined;
  }

  const views: GdapViews = {
    gdapAccess(customerTenantId, partnerUserId) {
      const id = resolve(customerTenantId);
      const index = id ? customerIndexOf(id) : undefined;
      if (index === undefined)
        return { ok: false, reason: 'no_relationship', detail: `no GDAP relationship with tenant ${customerTenantId}` };
      const entries = allRelationships().filter((e) => e.customerIndex === index);
      if (entries.length === 0)
        return {
          ok: false,
          reason: 'no_relationship',
          detail: `${profileAt(index).displayName} has no GDAP relationship with the partner (DAP only)`,
        };
      const active = entries.filter((e) => e.record.status === 'active');
      if (active.length === 0) {
        return {
          ok: false,
          reason: 'inactive',
          detail: `the GDAP relationship with ${profileAt(index).displayName} is ${entries[entries.length - 1]?.record.status}`,
        };
      }
      const groups = partnerUserGroups(partnerUserId);
      for (const entry of active) {
        const assignment = entry.assignments.find((a) => a.status === 'active' && groups.includes(a.accessContainer.accessContainerId));
        if (assignment) {
          return {
            ok: true,
            relationshipId: entry.record.id,
            roleDefinitionIds: assignment.accessDetails.unifiedRoles.map((r) => r.roleDefinitionId),
          };
        }
      }
      return {
        ok: false,
        reason: 'no_assignment',
        detail: `no active access assignment for the user's security groups in ${profileAt(index).displayName}`,
      };
    },
    relationships: () => allRelationships().map((e) => e.record),
    relationship: (id) => allRelationships().find((e) => e.record.id === id.toLowerCase())?.record,
    accessAssignments: (id) => allRelationships().find((e) => e.record.id === id.toLowerCase())?.assignments,
    delegatedAdminCustomers() {
      const seen = new Set<number>();
      const out: DelegatedAdminCustomerRecord[] = [];
      for (const e of allRelationships()) {
        if (seen.has(e.customerIndex)) continue;
        seen.add(e.customerIndex);
        const p = profileAt(e.customerIndex);
        out.push({
          '@odata.type': '#microsoft.graph.delegatedAdminCustomer',
          '@odata.etag': etag('customer', p.tenantId),
          id: p.tenantId,
          tenantId: p.tenantId,
          displayName: p.displayName,
        });
      }
      return out;
    },
    expireRelationship(t, status = 'expired') {
      setRelationshipStatus(t, status);
    },
    addAccessAssignment(t, input) {
      const id = resolve(t);
      const index = id ? customerIndexOf(id) : undefined;
      if (index === undefined || profileAt(index).traits.gdap === 'none') {
        throw new WorldError('relationship_not_found', `no GDAP relationship with tenant ${t}`);
      }
      const list = extraAssignments.get(index) ?? [];
      const rng = rngFrom(seed, 'extra-assignment', index, list.length);
      const at = new Date(clock.now().getTime()).toISOString().replace('Z', '0000Z');
      const record: AccessAssignmentRecord = {
        '@odata.type': '#microsoft.graph.delegatedAdminAccessAssignment',
        '@odata.etag': etag('assign-extra', index, list.length),
        id: guidFrom(rng),
        status: 'active',
        createdDateTime: at,
        lastModifiedDateTime: at,
        accessContainer: { accessContainerId: input.securityGroupId.toLowerCase(), accessContainerType: 'securityGroup' },
        accessDetails: { unifiedRoles: input.roleDefinitionIds.map((id) => ({ roleDefinitionId: id.toLowerCase() })) },
      };
      extraAssignments.set(index, [...list, record]);
      relationshipList = undefined;
      return record;
    },
    terminateRelationship(t) {
      setRelationshipStatus(t, 'terminated');
    },
    setAccessRoles(t, roleDefinitionIds) {
      const id = resolve(t);
      const index = id ? customerIndexOf(id) : undefined;
      if (index === undefined || profileAt(index).traits.gdap === 'none')
        throw new WorldError('relationship_not_found', `no GDAP relationship with tenant ${t}`);
      accessRoleOverrides.set(index, [...roleDefinitionIds]);
      relationshipList = undefined;
    },
  };
  return {
    ...views,
    etag,
    invalidate() {
      relationshipList = undefined;
    },
  };
}
