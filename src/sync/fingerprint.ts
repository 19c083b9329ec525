// A tenant's documentation is a function of: its staged Microsoft records, its organization's
// contacts and configurations (technicians and other tenants of the same organization edit
// them), the decisions technicians took, the integration's settings and a few values computed
// by the sync (the organization decision, excluded group members). When the fingerprint of all
// of that equals the one stored after the last full pass — and no derived value has expired
// with time (a user crossing the inactivity threshold) — matching and writing would change
// nothing, and the run skips them. Any doubt (no stored state, another docsync version) means a
// full pass: the skip only ever saves work, it never decides anything.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { jsonb } from './decisions.ts';
import { stableStringify } from './staging.ts';

/** Bump when what the sync derives from the same inputs changes (new overlay field, rule…). */
export const DOCUMENTATION_VERSION = 1;

export type DecisionCounts = Record<'match' | 'create' | 'review' | 'pending' | 'skip', number>;

/** What a run that skips reports: the figures of the last full pass. */
export interface DocumentationSummary {
  decisions: DecisionCounts;
  flagged: number;
  unchanged: number;
  users: number;
  devices: number;
  mailboxes: number;
  licenses: number;
}

export interface DocumentationState {
  fingerprint: string;
  validUntil: Date | null;
  summary: DocumentationSummary;
}

/**
 * The fingerprint of everything the documentation of one tenant is derived from. The database
 * part is hashed inside the database (one round trip; nothing but a few digests comes back).
 */
export async function documentationFingerprint(
  database: Kysely<Database>,
  input: { tenantRowId: string; organizationId: string | null; computed: unknown },
): Promise<string> {
  const { tenantRowId, organizationId } = input;
  const staged = (table: string, key: string) =>
    sql<string>`(select md5(coalesce(string_agg(${sql.ref(key)} || ':' || content_hash || ':' || coalesce(removed_at::text, ''), ',' order by ${sql.ref(key)}), ''))
      from ${sql.table(table)} where tenant_id = ${tenantRowId})`;
  // Whole rows as text: any column anybody changes (names, emails, links, overlay, gone flags).
  // (Row versions — xmin — would be cheaper, but no-op updates change them.) Emails are found
  // through the organization's contact ids, which keeps the planner on the (contact_id, email)
  // index instead of scanning every email of every organization (npm run bench -- sync).
  const organizationPart = organizationId
    ? sql<string>`(select md5(coalesce(string_agg(c::text, ',' order by c.id), '')) from contacts c where c.organization_id = ${organizationId})
        || (select md5(coalesce(string_agg(e::text, ',' order by e.id), '')) from contact_emails e
            where e.contact_id = any(array(select id from contacts where organization_id = ${organizationId})))
        || (select md5(coalesce(string_agg(g::text, ',' order by g.id), '')) from configurations g where g.organization_id = ${organizationId})`
    : sql<string>`''`;
  const result = await sql<{ digest: string }>`select
      ${staged('ms_users', 'user_id')} || ${staged('ms_managed_devices', 'device_id')} || ${staged('ms_mailboxes', 'user_principal_name')}
      || ${staged('ms_subscribed_skus', 'sku_id')}
      || (select md5(coalesce(string_agg(d::text, ',' order by d.kind, d.source_id), '')) from match_decisions d where d.tenant_id = ${tenantRowId} and d.decided_by_technician)
      || ${organizationPart} as digest`.execute(database);
  return createHash('sha256')
    .update(`${DOCUMENTATION_VERSION}|${result.rows[0]?.digest ?? ''}|${stableStringify(input.computed)}`)
    .digest('base64url');
}

export async function loadDocumentationState(database: Kysely<Database>, tenantRowId: string): Promise<DocumentationState | null> {
  const row = await database.selectFrom('tenant_documentation_state').selectAll().where('tenant_id', '=', tenantRowId).executeTakeFirst();
  if (!row) return null;
  const summary = (typeof row.summary === 'string' ? JSON.parse(row.summary) : row.summary) as DocumentationSummary;
  return { fingerprint: row.fingerprint, validUntil: row.valid_until === null ? null : new Date(row.valid_until), summary };
}

/** Writes the state only when it differs (a no-change run writes no row here either). */
export async function saveDocumentationState(
  database: Kysely<Database>,
  tenantRowId: string,
  state: DocumentationState,
  previous: DocumentationState | null,
  now: Date,
): Promise<void> {
  if (
    previous &&
    previous.fingerprint === state.fingerprint &&
    (previous.validUntil?.getTime() ?? null) === (state.validUntil?.getTime() ?? null) &&
    stableStringify(previous.summary) === stableStringify(state.summary)
  ) {
    return;
  }
  await database
    .insertInto('tenant_documentation_state')
    .values({ tenant_id: tenantRowId, fingerprint: state.fingerprint, valid_until: state.validUntil, summary: jsonb(state.summary), updated_at: now })
    .onConflict((oc) =>
      oc.column('tenant_id').doUpdateSet((eb) => ({
        fingerprint: eb.ref('excluded.fingerprint'),
        valid_until: eb.ref('excluded.valid_until'),
        summary: eb.ref('excluded.summary'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

/** Forget the state (a technician asked for a full sync): the next run derives everything again. */
export async function forgetDocumentationState(database: Kysely<Database>, tenantRowId: string): Promise<void> {
  await database.deleteFrom('tenant_documentation_state').where('tenant_id', '=', tenantRowId).execute();
}
