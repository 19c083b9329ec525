// A tenant's documentation is a function of: its staged Microsoft records, its organization's
// contacts and configurations (technicians and other tenants of the same organization edit
// them), the decisions technicians took, the integration's settings and a few values computed
// by the sync (the organization decision, excluded group members). When the fingerprint of all
// of that equals the one stored after the last full pass — and no derived value has expired
// with time (a user crossing the inactivity threshold) — matching and writing would change
// nothing, and the run skips them. Any doubt (no stored state, another docsync version) means a
// full pass: the skip only ever saves work, it never decides anything.
//
// The database part is not hashed: triggers count every write to those tables per scope and
// writer (migration T0500). The counters of every writer but the tenant's own sync are read
// before the run reads its inputs; a write by anybody else after that moves a counter, and the
// next run looks changed. The sync's own writes are what it derived, so they are left out.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { stableStringify } from '../db/json.ts';
import {
  deleteDocumentationState,
  documentationRevisions,
  findDocumentationState,
  saveDocumentationStateRow,
  writeAs,
} from '../stores/documentation-state.ts';

/** Bump when what the sync derives from the same inputs changes (new overlay field, rule…). */
export const DOCUMENTATION_VERSION = 3;

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

/** What the pass read from Microsoft besides the staged records: a decision derives from these at once. */
export interface StoredDerivationInputs {
  domains: Array<{ id: string; isVerified?: boolean | null; isDefault?: boolean | null; isInitial?: boolean | null }>;
  excludedByGroup: string[];
}

export interface DocumentationState {
  fingerprint: string;
  validUntil: Date | null;
  summary: DocumentationSummary;
  /** Null for a state stored before migration T1510 (the next full pass stores them). */
  inputs: StoredDerivationInputs | null;
}

/**
 * The fingerprint of everything the documentation of one tenant is derived from. Take it before
 * reading the inputs: a change made while the run reads them then shows in the next run.
 */
export async function documentationFingerprint(
  database: Kysely<Database>,
  input: { tenantId: string; organizationId: string | null; computed: unknown },
): Promise<string> {
  const { tenantId, organizationId } = input;
  const scopes = organizationId ? [tenantId, organizationId] : [tenantId];
  const revisions = await documentationRevisions(database, scopes, tenantId);
  const counted = revisions
    .map((r) => `${r.scope_id === tenantId ? 'tenant' : 'organization'}/${r.writer}=${r.revision}`)
    .sort()
    .join(',');
  return createHash('sha256')
    .update(`${DOCUMENTATION_VERSION}|${organizationId ?? ''}|${counted}|${stableStringify(input.computed)}`)
    .digest('base64url');
}

/**
 * Marks the writes of the rest of this transaction as the tenant's own sync's (see above).
 * Only for the transaction that writes what the tenant's run derived.
 */
export async function writeAsTenantSync(trx: Kysely<Database>, tenantId: string): Promise<void> {
  await writeAs(trx, tenantId);
}

export async function loadDocumentationState(database: Kysely<Database>, tenantId: string): Promise<DocumentationState | null> {
  const row = await findDocumentationState(database, tenantId);
  if (!row) return null;
  const summary = row.summary as DocumentationSummary;
  const inputs = (row.inputs ?? null) as StoredDerivationInputs | null;
  return { fingerprint: row.fingerprint, validUntil: row.validUntil, summary, inputs };
}

/** Writes the state only when it differs (a no-change run writes no row here either). */
export async function saveDocumentationState(
  database: Kysely<Database>,
  tenantId: string,
  state: DocumentationState,
  previous: DocumentationState | null,
  now: Date,
): Promise<void> {
  if (
    previous &&
    previous.fingerprint === state.fingerprint &&
    (previous.validUntil?.getTime() ?? null) === (state.validUntil?.getTime() ?? null) &&
    stableStringify(previous.summary) === stableStringify(state.summary) &&
    stableStringify(previous.inputs) === stableStringify(state.inputs)
  ) {
    return;
  }
  await saveDocumentationStateRow(database, tenantId, state, now);
}

/** Forget the state (a technician asked for a full sync): the next run derives everything again. */
export async function forgetDocumentationState(database: Kysely<Database>, tenantId: string): Promise<void> {
  await deleteDocumentationState(database, tenantId);
}
