// The SQL behind the one search box (src/docs/search.ts ranks and words the results): every
// branch asks a stored search_text column through its trigram index (migrations T1500, T1501 and
// 2026-12-05T0401), best first, so each stops after `limit` rows whatever the number of contacts.
//
// Case, accents and apostrophes do not matter (docsync_fold: "obrien" finds Seán O'Brien);
// a query matches a word, a word's start or a longer substring, or with a typo, by trigram word similarity
// (pg_trgm's <% operator; its threshold, pg_trgm.word_similarity_threshold, is lowered from 0.6 to
// TYPO_THRESHOLD for the search's transaction, so one wrong or missing letter still finds).
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';

type Db = Kysely<Database>;

/** 0.6 (pg_trgm's default) misses "contso" for Contoso; 0.4 finds one-letter typos in words of 6+ letters. */
const TYPO_THRESHOLD = 0.4;

/** Runs `search` in a transaction whose trigram threshold tolerates a typo; the pool's connections keep the default. */
export function withTypoTolerance<T>(db: Db, search: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('pg_trgm.word_similarity_threshold', ${String(TYPO_THRESHOLD)}, true)`.execute(trx);
    return search(trx);
  });
}

/**
 * One condition the GiST index applies while it walks the rows in similarity order: a query
 * that is a word, a word's start or a substring of 4+ letters has a word similarity well above
 * the threshold, and so does one with a typo. (An OR with LIKE would be checked row by row
 * instead, and a query matching nothing would walk the whole index: 350 ms at 20,000 contacts.)
 */
function similarTo(text: RawBuilder<string>, folded: RawBuilder<string>) {
  return sql<boolean>`${folded} <% ${text}`;
}

/**
 * How a search matches. `substring`: the folded text contains the query (a name, a word's start,
 * an email's prefix, a domain), found through the GIN trigram indexes (every trigram of the query
 * must be there, so a domain shared by 100,000 emails is no more work than a rare name) and the
 * shortest texts first, without computing a similarity per matched row. `similar`: the typo-tolerant
 * word similarity, best first from the GiST indexes; asked only when no substring matched anywhere,
 * because for a long query such as a domain nearly every email is similar and the GiST walk reads
 * them all (450 ms at 20,000 emails on Postgres).
 */
export type SearchMode = 'substring' | 'similar';

/** pg_trgm needs three characters for a trigram: a shorter query can only be asked by similarity. */
export const SUBSTRING_MIN_LENGTH = 3;

const likeEscaped = (q: string) => q.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The best `limit` matches of each kind (contacts by their text and by any email apart), each with a score. */
export async function searchMatches(db: Db, q: string, limit: number, mode: SearchMode = 'similar') {
  const folded = sql<string>`docsync_fold(${q})`;
  const pattern = sql<string>`'%' || docsync_fold(${likeEscaped(q)}) || '%'`;
  const matches = (text: RawBuilder<string>, f: RawBuilder<string>) =>
    mode === 'substring' ? sql<boolean>`${text} like ${pattern}` : similarTo(text, f);

  const organizationText = sql<string>`o.search_text`;
  const tenantText = sql<string>`t.search_text`;
  const contactText = sql<string>`c.search_text`;
  const emailText = sql<string>`e.search_text`;
  const configurationText = sql<string>`g.search_text`;
  // A substring's score: the share of the text it covers (cheap for every matched row); else the word similarity.
  const score = (text: RawBuilder<string>) =>
    mode === 'substring'
      ? sql<number>`length(${folded})::float8 / greatest(length(${text}), 1)`
      : sql<number>`word_similarity(${folded}, ${text})`;
  // Best first straight from the GiST index (<->> is 1 − word similarity), so a query stops after `limit` rows.
  // The big tables' substring matches come unordered: the first `limit` found (then ranked by score) cost the
  // same whether 20 or 50,000 contacts contain the query; the small ones (organizations, tenants) come shortest first.
  const nearest = (text: RawBuilder<string>) => (mode === 'substring' ? sql`length(${text})` : sql`${text} <->> ${folded}`);

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
      .$if(mode === 'similar', (query) => query.orderBy(nearest(contactText)))
      .limit(limit)
      .execute(),
    // An address or a domain that nothing contains is looked for by similarity among organizations and tenants
    // only: every email of a big tenant is similar to a domain, and the GiST walk would read them all.
    mode === 'similar' && /[@.]/.test(q)
      ? Promise.resolve([] as Array<{ id: string; score: number }>)
      : db
          .selectFrom('contact_emails as e')
          .select(['e.contact_id as id', score(emailText).as('score')])
          .where(matches(emailText, folded))
          .$if(mode === 'similar', (query) => query.orderBy(nearest(emailText)))
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
      .$if(mode === 'similar', (query) => query.orderBy(nearest(configurationText)))
      .limit(limit)
      .execute(),
  ]);

  return { organizations, tenants, contactsByText, contactsByEmail, configurations };
}

/** What a contact result shows: its name, organization, link, and its emails (primary first). */
export async function contactSearchDetails(db: Db, ids: string[]) {
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
  return { rows, emails };
}
