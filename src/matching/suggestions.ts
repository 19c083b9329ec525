// Suggestions for tenants no rule matched: similarity of organization names (legal forms
// stripped) and domains. Suggestions are never matches; a technician accepts one or not.
//
// Names are compared by the Dice coefficient of their word trigrams, found through an inverted
// index (trigram → organizations), so a tenant costs the organizations sharing a trigram with
// it, not a scan of all of them. This replaced fuse.js here: fuse's Bitap scan is order-
// sensitive ("Vance Customer 12" vs "Customer 12 Vance") and cost ~14 ms per tenant against
// 1,000 organizations (npm run bench -- matching).
import type { GraphDomain, Organization } from './input-schema.ts';
import { MAX_SUGGESTIONS, type Suggestion } from './decisions.ts';
import { domainStem, normalizeDomain, organizationNameStem } from './normalize.ts';

/** Below this a suggestion is noise. */
const MIN_SCORE = 0.35;
/** An unverified tenant domain equal to an organization's domain: strong evidence, yet unverified. */
const SAME_DOMAIN_SCORE = 0.95;
/** The company part of a domain equals an organization's domain or name ("contoso.onmicrosoft.com" ~ "contoso.com"). */
const SAME_DOMAIN_STEM_SCORE = 0.85;

export interface OrganizationSuggester {
  suggest(tenant: { displayName: string; domains: readonly GraphDomain[] }): Suggestion[];
}

/** Trigrams of each word, padded so that word starts and ends count: "acme" → " ac", "acm", "cme", "me ". Word order does not matter. */
export function wordTrigrams(stem: string): Set<string> {
  const grams = new Set<string>();
  for (const word of stem.split(' ')) {
    if (!word) continue;
    const padded = ` ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) grams.add(padded.slice(i, i + 3));
  }
  return grams;
}

export function createOrganizationSuggester(organizations: readonly Organization[]): OrganizationSuggester {
  const byDomain = new Map<string, Set<string>>();
  const byStem = new Map<string, Set<string>>();
  const byTrigram = new Map<string, number[]>();
  const ids: string[] = [];
  const gramCounts: number[] = [];
  const add = (map: Map<string, Set<string>>, key: string, id: string) => {
    if (!key) return;
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(id);
  };
  const positionOf = new Map<string, number>();
  organizations.forEach((organization, position) => {
    if (positionOf.has(organization.id)) return;
    positionOf.set(organization.id, position);
    const stem = organizationNameStem(organization.name);
    const slot = ids.length;
    ids.push(organization.id);
    const grams = wordTrigrams(stem);
    gramCounts.push(grams.size);
    for (const gram of grams) {
      const slots = byTrigram.get(gram);
      if (slots) slots.push(slot);
      else byTrigram.set(gram, [slot]);
    }
    add(byStem, stem.replace(/ /g, ''), organization.id);
    for (const domain of organization.domains) {
      add(byDomain, normalizeDomain(domain), organization.id);
      add(byStem, domainStem(domain), organization.id);
    }
  });

  return {
    suggest(tenant) {
      const best = new Map<string, number>();
      const offer = (id: string, score: number) => {
        if (score >= MIN_SCORE && score > (best.get(id) ?? -1)) best.set(id, score);
      };
      const grams = wordTrigrams(organizationNameStem(tenant.displayName));
      if (grams.size > 0) {
        const shared = new Map<number, number>();
        for (const gram of grams) for (const slot of byTrigram.get(gram) ?? []) shared.set(slot, (shared.get(slot) ?? 0) + 1);
        for (const [slot, count] of shared) offer(ids[slot] as string, (2 * count) / (grams.size + (gramCounts[slot] ?? 0)));
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
