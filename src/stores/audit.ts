// The audit log: who changed what, from what to what, when. Written in the same transaction
// as the change it describes, so one never exists without the other. The JSON API and the
// /audit page read it through listAuditEntries, so both show the same rows the same way.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/** Who acts (a technician, or the label of a process such as the sync). */
export interface AuditActor {
  id: string | null;
  label: string;
}

/** Who asks for a change, and the request it came with: what an audit row records about them. */
export interface ActionContext {
  actor: AuditActor;
  requestId?: string;
}

export interface AuditEntry {
  actor: AuditActor;
  action: string;
  subjectType: string;
  subjectId: string | null;
  before: unknown;
  after: unknown;
  requestId?: string | null;
  at: Date;
}

/** One audit row as the API and the audit page show it. */
export interface AuditRecord {
  id: string;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
  at: string;
}

export async function recordAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      actor_id: entry.actor.id,
      actor_label: entry.actor.label,
      action: entry.action,
      subject_type: entry.subjectType,
      subject_id: entry.subjectId,
      before: entry.before === undefined || entry.before === null ? null : JSON.stringify(entry.before),
      after: entry.after === undefined || entry.after === null ? null : JSON.stringify(entry.after),
      request_id: entry.requestId ?? null,
      created_at: entry.at,
    })
    .execute();
}

/** A page of the audit log, newest first, optionally of one subject type. */
/** One page of audit rows as stored, newest first (the API maps them, the /audit page names them). */
export async function listAuditRows(db: Kysely<Database>, filter: { page: number; pageSize: number; subjectType?: string | undefined }) {
  let query = db.selectFrom('audit_log');
  if (filter.subjectType) query = query.where('subject_type', '=', filter.subjectType);
  const rows = await query
    .selectAll()
    .orderBy('id', 'desc')
    .limit(filter.pageSize)
    .offset((filter.page - 1) * filter.pageSize)
    .execute();
  const { total } = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
  return { rows, total: Number(total) };
}

export async function listAuditEntries(
  db: Kysely<Database>,
  filter: { page: number; pageSize: number; subjectType?: string | undefined },
): Promise<{ items: AuditRecord[]; total: number }> {
  const { rows, total } = await listAuditRows(db, filter);
  return {
    items: rows.map((r) => ({
      id: String(r.id),
      actor: r.actor_label,
      action: r.action,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      before: r.before,
      after: r.after,
      requestId: r.request_id,
      at: new Date(r.created_at).toISOString(),
    })),
    total,
  };
}

/** The latest audit row of one subject (what an undo restores), or undefined. */
export async function latestAuditOf(
  db: Kysely<Database>,
  subjectType: string,
  subjectId: string,
): Promise<{ id: string; before: unknown } | undefined> {
  const row = await db
    .selectFrom('audit_log')
    .select(['id', 'before'])
    .where('subject_type', '=', subjectType)
    .where('subject_id', '=', subjectId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { id: String(row.id), before: row.before } : undefined;
}
