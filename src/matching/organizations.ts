// Tenants → organizations (issue 7, "Organizations"): linked, then name, then verified domain,
// else suggestions. A step that finds two organizations matches neither: they become the
// suggestions, for a technician to choose from.
import type { Organization, Tenant } from './input-schema.ts';
import { MAX_SUGGESTIONS, type OrganizationDecision, type Suggestion } from './decisions.ts';
import { normalizeDomain, normalizeOrganizationName } from './normalize.ts';
import { createOrganizationSuggester, type OrganizationSuggester } from './suggestions.ts';

/** What organization matching needs of a tenant (users and devices are not read here). */
export type TenantForOrganizationMatching = Pick<Tenant, 'id' | 'displayName' | 'organizationId' | 'domains'>;

export interface OrganizationIndex {
  readonly byName: ReadonlyMap<string, readonly string[]>;
  readonly byDomain: ReadonlyMap<string, readonly string[]>;
  readonly suggester: OrganizationSuggester;
}

/** Build once per run; matching a tenant is then a few map lookups (plus a fuzzy search when nothing matched). */
export function indexOrganizations(organizations: readonly Organization[]): OrganizationIndex {
  const byName = new Map<string, string[]>();
  const byDomain = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, id: string) => {
    if (!key) return;
    const ids = map.get(key);
    if (!ids) map.set(key, [id]);
    else if (!ids.includes(id)) ids.push(id);
  };
  for (const organization of organizations) {
    add(byName, normalizeOrganizationName(organization.name), organization.id);
    for (const domain of organization.domains) add(byDomain, normalizeDomain(domain), organization.id);
  }
  return { byName, byDomain, suggester: createOrganizationSuggester(organizations) };
}

export function matchOrganizations(
  tenants: readonly TenantForOrganizationMatching[],
  organizations: readonly Organization[] | OrganizationIndex,
): OrganizationDecision[] {
  const index = Array.isArray(organizations) ? indexOrganizations(organizations) : (organizations as OrganizationIndex);
  return tenants.map((tenant) => matchOrganization(tenant, index));
}

export function matchOrganization(tenant: TenantForOrganizationMatching, index: OrganizationIndex): OrganizationDecision {
  const decision = (
    state: OrganizationDecision['state'],
    organizationId: string | null,
    rule: OrganizationDecision['rule'],
    suggestions: Suggestion[],
  ): OrganizationDecision => ({
    tenantId: tenant.id,
    state,
    organizationId,
    rule,
    suggestions,
  });
  // Equal candidates: all of them, in the order the organizations were given.
  const tied = (ids: readonly string[]): OrganizationDecision =>
    decision(
      'suggested',
      null,
      null,
      ids.slice(0, MAX_SUGGESTIONS).map((organizationId) => ({ organizationId, score: 1 })),
    );

  // Technician decisions (and earlier syncs) always win.
  if (tenant.organizationId) return decision('matched', tenant.organizationId, 'linked', []);

  // Only verified domains prove ownership. Graph's initial *.onmicrosoft.com domain is verified
  // and unique to the tenant, so it counts only when an organization lists it.
  const byDomain = new Set<string>();
  for (const domain of tenant.domains) {
    if (domain.isVerified !== true) continue;
    for (const id of index.byDomain.get(normalizeDomain(domain.id)) ?? []) byDomain.add(id);
  }

  const byName = index.byName.get(normalizeOrganizationName(tenant.displayName)) ?? [];
  if (byName.length > 1) return tied(byName);
  if (byName.length === 1) {
    const [named] = byName as [string];
    // The name says one organization, a verified domain another: evidence disagrees, ask.
    const elsewhere = [...byDomain].filter((id) => id !== named);
    if (elsewhere.length > 0) return tied([named, ...elsewhere]);
    return decision('matched', named, 'name', []);
  }

  if (byDomain.size === 1) return decision('matched', [...byDomain][0] as string, 'domain', []);
  if (byDomain.size > 1) return tied([...byDomain]);

  const suggestions = index.suggester.suggest(tenant);
  return decision(suggestions.length > 0 ? 'suggested' : 'unmatched', null, null, suggestions);
}
