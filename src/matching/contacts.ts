// Users → contacts, inside the tenant's matched organization only (issue 7, "Contacts"):
// linked → alias → upn → name → create. One candidate at a step matches; more than one asks a
// technician (review) instead of guessing; a contact two users claim is reviewed for both.
import type { Contact, GraphUser, MatchingOptions, Tenant } from './input-schema.ts';
import { cappedCandidates, type ContactDecision, type ContactRule } from './decisions.ts';
import { emailDomain, normalizeDomain, normalizeEmail, normalizeText, personNameKey, smtpProxyAddress } from './normalize.ts';
import { addTo } from './multimap.ts';

/** What contact matching needs of a tenant (devices are not read here). */
export type TenantForContactMatching = Pick<Tenant, 'id' | 'domains' | 'users'>;

/** One organization's contacts, indexed by every key a rule looks up. */
export interface ContactIndex {
  readonly organizationId: string;
  readonly byId: ReadonlyMap<string, Contact>;
  readonly byMicrosoftUserId: ReadonlyMap<string, readonly string[]>;
  readonly byEmail: ReadonlyMap<string, readonly string[]>;
  readonly byName: ReadonlyMap<string, readonly string[]>;
}

/** Contacts of other organizations are left out: they are never candidates. */
export function indexContacts(organizationId: string, contacts: Iterable<Contact>): ContactIndex {
  const byId = new Map<string, Contact>();
  const byMicrosoftUserId = new Map<string, string[]>();
  const byEmail = new Map<string, string[]>();
  const byName = new Map<string, string[]>();
  for (const contact of contacts) {
    if (contact.organizationId !== organizationId || byId.has(contact.id)) continue;
    byId.set(contact.id, contact);
    if (contact.microsoftUserId) addTo(byMicrosoftUserId, contact.microsoftUserId.trim().toLowerCase(), contact.id);
    for (const email of contact.emails) addTo(byEmail, normalizeEmail(email), contact.id);
    addTo(byName, personNameKey(contact.firstName, contact.lastName), contact.id);
  }
  return { organizationId, byId, byMicrosoftUserId, byEmail, byName };
}

/** userType Guest, or the "#EXT#" Entra puts in a B2B guest's UPN (older guests may lack userType). */
export function isGuest(user: GraphUser): boolean {
  return user.userType?.trim().toLowerCase() === 'guest' || user.userPrincipalName.toUpperCase().includes('#EXT#');
}

/** mail, every smtp:/SMTP: proxy address and otherMails, normalized, without duplicates. */
export function userAliases(user: GraphUser): string[] {
  const aliases = new Set<string>();
  const add = (address: string) => address && aliases.add(address);
  add(normalizeEmail(user.mail));
  for (const proxy of user.proxyAddresses ?? []) add(smtpProxyAddress(proxy));
  for (const other of user.otherMails ?? []) add(normalizeEmail(other));
  return [...aliases];
}

interface Step {
  rule: ContactRule;
  /** Read-only: the index's own list (copying it per user is quadratic with many namesakes). */
  candidates: readonly string[];
  /** What the candidates share, for the reason sentence. */
  evidence: string;
}

export function matchContacts(
  tenant: TenantForContactMatching,
  organizationId: string | null,
  contacts: readonly Contact[] | ContactIndex,
  options: MatchingOptions = {},
): ContactDecision[] {
  const users = uniqueUsers(tenant.users);
  if (organizationId === null) {
    return users.map((user) => ({
      tenantId: tenant.id,
      userId: user.id,
      decision: 'pending',
      contactId: null,
      rule: null,
      candidates: [],
      reason: 'The tenant is not matched to an organization yet; contacts wait for that decision.',
    }));
  }
  const index = 'byEmail' in contacts ? (contacts as ContactIndex) : indexContacts(organizationId, contacts as readonly Contact[]);
  const tenantDomains = new Set(tenant.domains.map((d) => normalizeDomain(d.id)).filter(Boolean));
  const decisions = users.map((user) => matchUser(tenant.id, user, index, tenantDomains, options));
  return reviewContestedContacts(decisions);
}

/** Delta listings may replay a user: each user is decided once, with its latest record, at its first position. */
function uniqueUsers(users: readonly GraphUser[]): GraphUser[] {
  const latest = new Map<string, GraphUser>();
  for (const user of users) latest.set(user.id, user);
  if (latest.size === users.length) return users as GraphUser[];
  const seen = new Set<string>();
  const result: GraphUser[] = [];
  for (const user of users) {
    if (seen.has(user.id)) continue;
    seen.add(user.id);
    result.push(latest.get(user.id) as GraphUser);
  }
  return result;
}

function matchUser(
  tenantId: string,
  user: GraphUser,
  index: ContactIndex,
  tenantDomains: ReadonlySet<string>,
  options: MatchingOptions,
): ContactDecision {
  const decide = (
    decision: ContactDecision['decision'],
    contactId: string | null,
    rule: ContactRule | null,
    candidates: readonly string[],
    reason: string,
  ): ContactDecision => ({
    tenantId,
    userId: user.id,
    decision,
    contactId,
    rule,
    ...cappedCandidates(candidates),
    reason,
  });
  const disabled = user.accountEnabled === false ? ' The account is disabled.' : '';

  // Technician decisions (and earlier syncs) always win, for guests too.
  const linked = index.byMicrosoftUserId.get(user.id.trim().toLowerCase()) ?? [];
  if (linked.length === 1)
    return decide('match', linked[0] as string, 'linked', [], `Linked to this contact by a technician or an earlier sync.${disabled}`);
  if (linked.length > 1) {
    return decide('review', null, 'linked', linked, `${linked.length} contacts are linked to this Microsoft user; keep one.`);
  }

  if (isGuest(user) && !options.includeGuests) {
    return decide('skip', null, null, [], 'Guest account; this integration does not sync guests.');
  }

  const aliases = userAliases(user);
  const upn = normalizeEmail(user.userPrincipalName);
  for (const step of steps(user, aliases, upn, index)) {
    if (step.candidates.length > 1) {
      return decide(
        'review',
        null,
        step.rule,
        step.candidates,
        `${step.candidates.length} contacts share ${step.evidence}; choose the right one.`,
      );
    }
    const contactId = step.candidates[0] as string;
    const contact = index.byId.get(contactId) as Contact;
    const linkedTo = contact.microsoftUserId?.trim();
    if (linkedTo && linkedTo.toLowerCase() !== user.id.trim().toLowerCase()) {
      return decide(
        'review',
        null,
        step.rule,
        [contactId],
        `The contact with ${step.evidence} is linked to another Microsoft user; check before relinking.`,
      );
    }
    if (step.rule === 'name') {
      // Same name, but the contact has a mailbox of this tenant that is not this user's:
      // two people with one name (a namesake, or a leaver and a new hire). Do not merge them.
      const own = new Set([...aliases, upn]);
      const foreign = contact.emails.map(normalizeEmail).find((e) => e && tenantDomains.has(emailDomain(e)) && !own.has(e));
      if (foreign)
        return decide(
          'review',
          null,
          'name',
          [contactId],
          `Same name, but the contact's address ${foreign} is not one of this user's; check it is the same person.`,
        );
    }
    return decide('match', contactId, step.rule, [], `${capitalize(step.evidence)} equals this contact's.${disabled}`);
  }
  return decide(
    'create',
    null,
    null,
    [],
    `No contact of the organization has this user's addresses or name; a new contact will be created.${disabled}`,
  );
}

/** The steps after `linked`, lazily, each only when the one before found no candidate. */
function* steps(user: GraphUser, aliases: readonly string[], upn: string, index: ContactIndex): Generator<Step> {
  const byAlias = new Set<string>();
  let aliasEvidence = '';
  for (const alias of aliases) {
    for (const id of index.byEmail.get(alias) ?? []) {
      byAlias.add(id);
      aliasEvidence ||= `the address ${alias}`;
    }
  }
  if (byAlias.size > 0) {
    yield { rule: 'alias', candidates: [...byAlias], evidence: aliasEvidence };
    return;
  }
  const byUpn = upn ? (index.byEmail.get(upn) ?? []) : [];
  if (byUpn.length > 0) {
    yield { rule: 'upn', candidates: byUpn, evidence: `the user principal name ${upn}` };
    return;
  }
  const nameKey = personNameKey(user.givenName, user.surname);
  const byName = nameKey ? (index.byName.get(nameKey) ?? []) : [];
  if (byName.length > 0) {
    yield { rule: 'name', candidates: byName, evidence: `the name ${normalizeText(user.givenName)} ${normalizeText(user.surname)}` };
  }
}

/** A contact claimed by two users is reviewed for both: one of them is wrong and we cannot tell which. */
function reviewContestedContacts(decisions: ContactDecision[]): ContactDecision[] {
  const claims = new Map<string, number>();
  for (const d of decisions) if (d.decision === 'match' && d.contactId) claims.set(d.contactId, (claims.get(d.contactId) ?? 0) + 1);
  let contested = false;
  for (const count of claims.values()) if (count > 1) contested = true;
  if (!contested) return decisions;
  return decisions.map((d) => {
    const count = d.decision === 'match' && d.contactId ? (claims.get(d.contactId) ?? 0) : 0;
    if (count < 2) return d;
    return {
      ...d,
      decision: 'review',
      contactId: null,
      candidates: [d.contactId as string],
      reason: `${count} users match this contact (${d.rule}); choose which one it belongs to.`,
    };
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
