// What the engine decides: the CLI prints these shapes verbatim (issue 7, CLI contract), the
// sync engine writes them, the web UI shows them. `rule` names the evidence; it is null when
// nothing matched (create, skip, pending, unmatched). For `review` it names the step at which
// several candidates (or a conflict) stopped the engine from guessing.

export type OrganizationState = 'matched' | 'suggested' | 'unmatched';
export type OrganizationRule = 'linked' | 'name' | 'domain';

export interface Suggestion {
  organizationId: string;
  /** 0..1, 1 = best. */
  score: number;
}

export interface OrganizationDecision {
  tenantId: string;
  state: OrganizationState;
  organizationId: string | null;
  rule: OrganizationRule | null;
  /** Best first, at most 5; empty when matched. */
  suggestions: Suggestion[];
}

export type ContactDecisionKind = 'match' | 'review' | 'create' | 'skip' | 'pending';
export type ContactRule = 'linked' | 'alias' | 'upn' | 'name';

export interface ContactDecision {
  tenantId: string;
  userId: string;
  decision: ContactDecisionKind;
  contactId: string | null;
  rule: ContactRule | null;
  /** The contacts a technician chooses from when decision is review (the first MAX_CANDIDATES); empty otherwise. */
  candidates: string[];
  /** Present only when there were more candidates than `candidates` lists: how many in all. */
  candidateCount?: number;
  /** One short sentence for a technician. */
  reason: string;
}

/**
 * A decision lists at most this many candidates (plus their count): 2,000 namesakes against 2,000
 * contacts would otherwise make millions of ids nobody reads, and memory nobody has.
 */
export const MAX_CANDIDATES = 20;

/** `candidates` cut to MAX_CANDIDATES, with `candidateCount` when something was cut. */
export function cappedCandidates(candidates: Iterable<string> & { length?: number; size?: number }): {
  candidates: string[];
  candidateCount?: number;
} {
  const total = candidates.length ?? candidates.size ?? 0;
  const first: string[] = [];
  for (const id of candidates) {
    if (first.length === MAX_CANDIDATES) break;
    first.push(id);
  }
  return total > MAX_CANDIDATES ? { candidates: first, candidateCount: total } : { candidates: first };
}

export type ConfigurationDecisionKind = 'match' | 'review' | 'create' | 'pending';
export type ConfigurationRule = 'linked' | 'serial' | 'name';

export interface ConfigurationDecision {
  tenantId: string;
  deviceId: string;
  decision: ConfigurationDecisionKind;
  configurationId: string | null;
  rule: ConfigurationRule | null;
  /** The contact matched to the device's primary user; null when none. */
  contactId: string | null;
  candidates: string[];
  candidateCount?: number;
}

export interface MatchingOutput {
  organizations: OrganizationDecision[];
  contacts: ContactDecision[];
  configurations: ConfigurationDecision[];
}

/** The most suggestions a tenant gets. */
export const MAX_SUGGESTIONS = 5;
