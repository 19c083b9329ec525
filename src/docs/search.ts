// One search box across every customer: organizations (name, domains), tenants (name, domains),
// contacts (name, any email, user principal name, phone) and configurations (name, serial).
//
// Case, accents and apostrophes do not matter (docsync_fold: "obrien" finds Seán O'Brien);
// a query matches a word, a word's start or a longer substring, or with a typo, by trigram word similarity
// (pg_trgm's <% operator; its threshold, pg_trgm.word_similarity_threshold, is lowered from 0.6 to
// TYPO_THRESHOLD for the search's transaction, so one wrong or missing letter still finds). Every
// condition and ordering uses a stored search_text column with a GiST trigram index (migrations
// T1500, T1501), so Postgres and PGlite answer from the index instead of reading every contact.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';

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
/** 0.6 (pg_trgm's default) misses "contso" for Contoso; 0.4 finds one-letter typos in words of 6+ letters. */
const TYPO_THRESHOLD = 0.4;

/**
 * One condition the GiST index applies while it walks the rows in similarity order: a query
 * that is a word, a word's start or a substring of 4+ letters has a word similarity well above
 * the threshold, and so does one with a typo. (An OR with LIKE would be checked row by row
 * instead, and a query matching nothing would walk the whole index: 350 ms at 20,000 contacts.)
 */
function matches(text: RawBuilder<string>, folded: RawBuilder<string>) {
  return sql<boolean>`${folded} <% ${text}`;
}

const joinDetail = (...parts: Array<string | null | undefined>) => parts.filter((p) => p && p.trim() !== '').join(' · ');

export async function searchEverything(db: Db, query: string, limit: number): Promise<SearchResult[]> {
  const q = query.trim();
  if (q.length < MIN_QUERY_LENGTH) return [];
  // set_config(…, true) lasts for the transaction only, so the pool's connections keep the default.
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('pg_trgm.word_similarity_threshold', ${String(TYPO_THRESHOLD)}, true)`.execute(trx);
    return searchIn(trx, q, limit);
  });
}

async function searchIn(db: Db, q: string, limit: number): Promise<SearchResult[]> {
  const folded = sql<string>`docsync_fold(${q})`;

  const organizationText = sql<string>`o.search_text`;
  const tenantText = sql<string>`t.search_text`;
  const contactText = sql<string>`c.search_text`;
  const emailText = sql<string>`e.search_text`;
  const configurationText = sql<string>`g.search_text`;
  const score = (text: RawBuilder<string>) => sql<number>`word_similarity(${folded}, ${text})`;
  // Best first straight from the GiST index (<->> is 1 − word similarity), so a query stops after `limit` rows.
  const nearest = (text: RawBuilder<string>) => sql`${text} <->> ${folded}`;

  const [organizations, tenants, contactsByText, contactsByEmail, configurations] = await Promise.all([
    db
      .selectFrom('organizations as o')
      .select(['o.id', 'o.name', 'o.domains', score(organizationText).as('score')])
      .where(matches(organizationText, folded))
      .orderBy(nearest(organizationText))
      .limit(limit)
      .execute(),
    db
      .selectFrom('tenants as t')
      .leftJoin('match_decisions as d', (j) =>
        j.onRef('d.tenant_id', '=', 't.id').on('d.kind', '=', 'organization').on('d.state', '=', 'matched'),
      )
      .leftJoin('organizations as o', 'o.id', 'd.target_id')
      .select(['t.id', 't.display_name', 't.default_domain', 'o.name as organization_name', score(tenantText).as('score')])
      .where(matches(tenantText, folded))
      .orderBy(nearest(tenantText))
      .limit(limit)
      .execute(),
    db
      .selectFrom('contacts as c')
      .select(['c.id', score(contactText).as('score')])
      .where(matches(contactText, folded))
      .orderBy(nearest(contactText))
      .limit(limit)
      .execute(),
    db
      .selectFrom('contact_emails as e')
      .select(['e.contact_id as id', score(emailText).as('score')])
      .where(matches(emailText, folded))
      .orderBy(nearest(emailText))
      .limit(limit)
      .execute(),
    db
      .selectFrom('configurations as g')
      .innerJoin('organizations as o', 'o.id', 'g.organization_id')
      .select([
        'g.id',
        'g.name',
        'g.serial_number',
        'g.organization_id',
        'o.name as organization_name',
        score(configurationText).as('score'),
      ])
      .where(matches(configurationText, folded))
      .orderBy(nearest(configurationText))
      .limit(limit)
      .execute(),
  ]);

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
    const ids = [...contactScores.keys()];
    const rows = await db
      .selectFrom('contacts as c')
      .innerJoin('organizations as o', 'o.id', 'c.organization_id')
      .select([
        'c.id',
        'c.first_name',
        'c.last_name',
        'c.organization_id',
        'c.tenant_id',
        'c.microsoft_user_id',
        'c.in_microsoft',
        'c.microsoft_overlay',
        'o.name as organization_name',
      ])
      .where('c.id', 'in', ids)
      .execute();
    const emails = await db
      .selectFrom('contact_emails')
      .select(['contact_id', 'email'])
      .where('contact_id', 'in', ids)
      .orderBy('is_primary', 'desc')
      .orderBy(sql`lower(email)`)
      .execute();
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
