// Suggestions for tenants no rule matched: fuzzy search over organization names (legal forms
// stripped) and domains. Suggestions are never matches; a technician accepts one or not.
import Fuse from 'fuse.js';
import type { GraphDomain, Organization } from './input-schema.ts';
import { MAX_SUGGESTIONS, type Suggestion } from './decisions.ts';
import { domainStem, normalizeDomain, organizationNameStem } from './normalize.ts';

interface OrganizationEntry {
  id: string;
  /** Input position: the tie-breaker that keeps the order deterministic. */
  position: number;
  stem: string;
}

/** Below this a suggestion is noise (fuse.js score 0 = identical, 1 = unrelated). */
const MIN_SCORE = 0.35;
/** An unverified tenant domain equal to an organization's domain: strong evidence, yet unverified. */
const SAME_DOMAIN_SCORE = 0.95;
/** The company part of a domain equals an organization's domain or name ("contoso.onmicrosoft.com" ~ "contoso.com"). */
const SAME_DOMAIN_STEM_SCORE = 0.85;

export interface OrganizationSuggester {
  suggest(tenant: { displayName: string; domains: readonly GraphDomain[] }): Suggestion[];
}

export function createOrganizationSuggester(organizations: readonly Organization[]): OrganizationSuggester {
  const entries: OrganizationEntry[] = [];
  const byDomain = new Map<string, Set<string>>();
  const byStem = new Map<string, Set<string>>();
  const positionOf = new Map<string, number>();
  const add = (map: Map<string, Set<string>>, key: string, id: string) => {
    if (!key) return;
    let ids = map.get(key);
    if (!ids) map.set(key, (ids = new Set()));
    ids.add(id);
  };
  organizations.forEach((organization, position) => {
    if (positionOf.has(organization.id)) return;
    positionOf.set(organization.id, position);
    const stem = organizationNameStem(organization.name);
    entries.push({ id: organization.id, position, stem });
    add(byStem, stem.replace(/ /g, ''), organization.id);
    for (const domain of organization.domains) {
      add(byDomain, normalizeDomain(domain), organization.id);
      add(byStem, domainStem(domain), organization.id);
    }
  });
  const fuse = new Fuse(entries, { keys: ['stem'], includeScore: true, ignoreLocation: true, threshold: 1 - MIN_SCORE, shouldSort: true });

  return {
    suggest(tenant) {
      const best = new Map<string, number>();
      const offer = (id: string, score: number) => {
        if (score >= MIN_SCORE && score > (best.get(id) ?? -1)) best.set(id, score);
      };
      const stem = organizationNameStem(tenant.displayName);
      if (stem) {
        for (const result of fuse.search(stem, { limit: MAX_SUGGESTIONS * 4 })) offer(result.item.id, 1 - (result.score ?? 1));
      }
      for (const domain of tenant.domains) {
        for (const id of byDomain.get(normalizeDomain(domain.id)) ?? []) offer(id, SAME_DOMAIN_SCORE);
        for (const id of byStem.get(domainStem(domain.id)) ?? []) offer(id, SAME_DOMAIN_STEM_SCORE);
      }
      return [...best]
        .map(([organizationId, score]) => ({ organizationId, score: Math.round(score * 1000) / 1000 }))
        .sort((a, b) => b.score - a.score || (positionOf.get(a.organizationId) ?? 0) - (positionOf.get(b.organizationId) ?? 0))
        .slice(0, MAX_SUGGESTIONS);
    },
  };
}
