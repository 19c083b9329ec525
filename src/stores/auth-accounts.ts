// Technician accounts (technicians): who may still act, the second factors step-up asks about,
// and the sign-in counters of the lockout (src/auth/lockout.ts says when an account locks).
import { sql, type Insertable, type Kysely } from 'kysely';
import type { Database, Technician, TechniciansTable } from '../db/schema.ts';

type Db = Kysely<Database>;
export type NewTechnician = Insertable<TechniciansTable>;

/** One technician, or undefined. */
export async function findTechnician(db: Db, technicianId: string): Promise<Technician | undefined> {
  return db.selectFrom('technicians').selectAll().where('id', '=', technicianId).executeTakeFirst();
}

/**
 * One failed sign-in, atomically: the attempt that reaches `limit` locks the account until
 * `lockUntil` and sets the count back to 0. Returns the count and lock after it (undefined: no such technician).
 */
export async function countFailedSignIn(
  db: Db,
  technicianId: string,
  input: { limit: number; lockUntil: Date; now: Date },
): Promise<{ failed_logins: number; locked_until: Date | null } | undefined> {
  const reachesLimit = sql<boolean>`failed_logins + 1 >= ${input.limit}`;
  return db
    .updateTable('technicians')
    .set({
      failed_logins: sql<number>`case when ${reachesLimit} then 0 else failed_logins + 1 end`,
      locked_until: sql<Date>`case when ${reachesLimit} then ${input.lockUntil}::timestamptz else locked_until end`,
      updated_at: input.now,
    })
    .where('id', '=', technicianId)
    .returning(['failed_logins', 'locked_until'])
    .executeTakeFirst();
}

/** A successful sign-in (and a rehashed password), unless the account is locked now; false when it is. */
export async function saveSuccessfulSignIn(db: Db, technicianId: string, now: Date, passwordHash?: string): Promise<boolean> {
  const row = await db
    .updateTable('technicians')
    .set({ failed_logins: 0, locked_until: null, last_login_at: now, ...(passwordHash ? { password_hash: passwordHash } : {}) })
    .where('id', '=', technicianId)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** The technician linked to this Entra object id, or undefined. */
export async function findTechnicianByEntraObjectId(db: Db, objectId: string): Promise<Technician | undefined> {
  return db.selectFrom('technicians').selectAll().where('entra_object_id', '=', objectId).executeTakeFirst();
}

/** Technicians not yet linked to Entra whose email or username is one of these (case-insensitive). */
export async function unlinkedTechniciansByEmailOrUsername(db: Db, email: string, username: string): Promise<Technician[]> {
  return db
    .selectFrom('technicians')
    .selectAll()
    .where('entra_object_id', 'is', null)
    .where((eb) =>
      eb.or([eb(sql<string>`lower(email)`, '=', email.toLowerCase()), eb(sql<string>`lower(username)`, '=', username.toLowerCase())]),
    )
    .execute();
}

/** Links a technician to an Entra object id; returns the technician after it. */
export async function linkTechnicianToEntra(db: Db, technicianId: string, objectId: string, now: Date): Promise<Technician> {
  return db
    .updateTable('technicians')
    .set({ entra_object_id: objectId, updated_at: now })
    .where('id', '=', technicianId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Whether a technician has this username (case-insensitive). */
export async function usernameTaken(db: Db, username: string): Promise<boolean> {
  const row = await db
    .selectFrom('technicians')
    .select('id')
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertTechnician(db: Db, technician: NewTechnician): Promise<Technician> {
  return db.insertInto('technicians').values(technician).returningAll().executeTakeFirstOrThrow();
}

/** A technician's username and display name, or undefined. */
export async function findTechnicianNames(
  db: Db,
  technicianId: string,
): Promise<{ username: string; display_name: string | null } | undefined> {
  return db.selectFrom('technicians').select(['username', 'display_name']).where('id', '=', technicianId).executeTakeFirst();
}
