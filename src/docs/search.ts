// One search box across every customer: organizations (name, domains), tenants (name, domains),
// contacts (name, any email, user principal name, phone) and configurations (name, serial).
//
// Case, accents, apostrophes and small typos do not matter; the SQL (every branch index-backed)
// is in src/stores/search.ts, this module ranks the matches and words them for a technician.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { contactSearchDetails, searchMatches, SUBSTRING_MIN_LENGTH, withTypoTolerance } from '../stores/search.ts';

type Db = Kysely<Database>;

export const SEARCH_KINDS = ['organization', 'tenant', 'contact', 'configuration'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

export interface SearchResult {
  kind: SearchKind;
  id: string;
  label: string;
  detail: string;
  url: string;
}

interface Scored extends SearchResult {
  score: number;
}

/** The shortest query searched: one letter would match nearly everything and say nothing. */
export const MIN_QUERY_LENGTH = 2;
const joinDetail = (...parts: Array<string | null | undefined>) => parts.filter((p) => p && p.trim() !== '').join(' · ');

export async function searchEverything(db: Db, query: string, limit: number): Promise<SearchResult[]> {
  const q = query.trim();
  if (q.length < MIN_QUERY_LENGTH) return [];
  return withTypoTolerance(db, (trx) => searchIn(trx, q, limit));
}

async function searchIn(db: Db, q: string, limit: number): Promise<SearchResult[]> {
  // Substrings first (index-backed whatever the data); the typo-tolerant similarity only when nothing contains the query.
  let matches = q.length >= SUBSTRING_MIN_LENGTH ? await searchMatches(db, q, limit, 'substring') : null;
  if (!matches || Object.values(matches).every((rows) => rows.length === 0)) matches = await searchMatches(db, q, limit, 'similar');
  const { organizations, tenants, contactsByText, contactsByEmail, configurations } = matches;

  const results: Scored[] = [];
  for (const o of organizations) {
    results.push({
      kind: 'organization',
      id: o.id,
      label: o.name,
      detail: joinDetail((o.domains ?? []).slice(0, 3).join(', ')),
      url: `/organizations/${o.id}`,
      score: Number(o.score),
    });
  }
  for (const t of tenants) {
    results.push({
      kind: 'tenant',
      id: t.id,
      label: t.display_name,
      detail: joinDetail(t.default_domain, t.organization_name),
      url: `/tenants/${t.id}/contacts`,
      score: Number(t.score),
    });
  }

  const contactScores = new Map<string, number>();
  for (const c of [...contactsByText, ...contactsByEmail]) contactScores.set(c.id, Math.max(contactScores.get(c.id) ?? 0, Number(c.score)));
  if (contactScores.size > 0) {
    const { rows, emails } = await contactSearchDetails(db, [...contactScores.keys()]);
    const primary = new Map<string, string>();
    for (const e of emails) if (!primary.has(e.contact_id)) primary.set(e.contact_id, e.email);
    for (const c of rows) {
      const label = [c.first_name, c.last_name].filter(Boolean).join(' ') || primary.get(c.id) || '(no name)';
      const email = primary.get(c.id) ?? (c.microsoft_overlay as Record<string, unknown> | null)?.userPrincipalName;
      const linked = c.in_microsoft && c.tenant_id && c.microsoft_user_id;
      const url = linked
        ? `/tenants/${c.tenant_id}/users/${encodeURIComponent(c.microsoft_user_id!)}`
        : `/organizations/${c.organization_id}/contacts?search=${encodeURIComponent(typeof email === 'string' ? email : label)}`;
      results.push({
        kind: 'contact',
        id: c.id,
        label,
        detail: joinDetail(typeof email === 'string' ? email : null, c.organization_name),
        url,
        score: contactScores.get(c.id) ?? 0,
      });
    }
  }
  for (const g of configurations) {
    results.push({
      kind: 'configuration',
      id: g.id,
      label: g.name,
      detail: joinDetail(g.serial_number ? `serial ${g.serial_number}` : null, g.organization_name),
      url: `/organizations/${g.organization_id}/configurations?search=${encodeURIComponent(g.serial_number ?? g.name)}`,
      score: Number(g.score),
    });
  }
  const kindOrder = new Map(SEARCH_KINDS.map((k, i) => [k, i]));
  return results
    .sort((a, b) => b.score - a.score || kindOrder.get(a.kind)! - kindOrder.get(b.kind)! || a.label.localeCompare(b.label))
    .slice(0, limit)
    .map(({ score: _score, ...result }) => result);
}
