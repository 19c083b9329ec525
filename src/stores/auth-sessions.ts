// Browser sessions (sessions): rows keyed by the SHA-256 of the cookie's token. Timeouts and what
// a session may do are src/auth/sessions.ts's.
import type { Kysely } from 'kysely';
import type { Database, TechnicianRole } from '../db/schema.ts';

type Db = Kysely<Database>;

export interface NewSessionRow {
  idHash: string;
  technicianId: string;
  csrfToken: string;
  now: Date;
  expiresAt: Date;
  secondFactorAt: Date | null;
  enrolmentOnly: boolean;
}

export async function insertSession(db: Db, session: NewSessionRow): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id_hash: session.idHash,
      technician_id: session.technicianId,
      csrf_token: session.csrfToken,
      created_at: session.now,
      last_seen_at: session.now,
      expires_at: session.expiresAt,
      second_factor_at: session.secondFactorAt,
      enrolment_only: session.enrolmentOnly,
    })
    .execute();
}

export interface SessionWithTechnician {
  csrf_token: string;
  last_seen_at: Date;
  expires_at: Date;
  second_factor_at: Date | null;
  enrolment_only: boolean;
  id: string;
  username: string;
  display_name: string | null;
  role: TechnicianRole;
  disabled: boolean;
}

/** A session and its technician, or undefined. */
export async function findSessionWithTechnician(db: Db, idHash: string): Promise<SessionWithTechnician | undefined> {
  return db
    .selectFrom('sessions')
    .innerJoin('technicians', 'technicians.id', 'sessions.technician_id')
    .select(['sessions.csrf_token', 'sessions.last_seen_at', 'sessions.expires_at', 'sessions.second_factor_at', 'sessions.enrolment_only'])
    .select(['technicians.id', 'technicians.username', 'technicians.display_name', 'technicians.role', 'technicians.disabled'])
    .where('sessions.id_hash', '=', idHash)
    .executeTakeFirst();
}

export async function touchSession(db: Db, idHash: string, at: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
}

/** Sets what the session proved: a second factor (and when), or only the right to enrol one. */
export async function saveSessionSecondFactor(db: Db, idHash: string, secondFactorAt: Date | null, enrolmentOnly: boolean): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ second_factor_at: secondFactorAt, enrolment_only: enrolmentOnly })
    .where('id_hash', '=', idHash)
    .execute();
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

export async function deleteSessionsOfTechnician(db: Db, technicianId: string): Promise<void> {
  await db.deleteFrom('sessions').where('technician_id', '=', technicianId).execute();
}

/** Deletes sessions past their absolute expiry or idle since `idleBefore`; returns how many. */
export async function deleteEndedSessions(db: Db, now: Date, idleBefore: Date): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleBefore)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
