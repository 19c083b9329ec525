// Technician accounts (technicians): lookups by id, sign-in name, username, email and Entra object
// id, creation and changes, the administrator count, and the sign-in counters of the lockout.
// The rules (the last administrator, lockout, audits) are src/auth/'s (accounts.ts, lockout.ts, sso.ts).
import { sql, type Insertable, type Kysely, type Updateable } from 'kysely';
import type { Database, Technician, TechniciansTable } from '../db/schema.ts';

type Db = Kysely<Database>;
export type NewTechnician = Insertable<TechniciansTable>;
export type TechnicianUpdate = Updateable<TechniciansTable>;

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

/** The id of the technician with this username (case-insensitive), or undefined. */
export async function findTechnicianIdByUsername(db: Db, username: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('technicians')
    .select('id')
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
  return row?.id;
}

/** Whether a technician has this username (case-insensitive). */
export async function usernameTaken(db: Db, username: string): Promise<boolean> {
  return (await findTechnicianIdByUsername(db, username)) !== undefined;
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

/** Whether another technician than `exceptId` has this email (case-insensitive). */
export async function emailTaken(db: Db, email: string, exceptId: string | null): Promise<boolean> {
  let query = db
    .selectFrom('technicians')
    .select('id')
    .where(sql<string>`lower(email)`, '=', email.toLowerCase());
  if (exceptId) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst()) !== undefined;
}

/** The technician a sign-in names by username or email (case-insensitive; a username match first), or undefined. */
export async function findTechnicianBySignInName(db: Db, login: string): Promise<Technician | undefined> {
  const wanted = login.toLowerCase();
  return db
    .selectFrom('technicians')
    .selectAll()
    .where((eb) => eb.or([eb(sql<string>`lower(username)`, '=', wanted), eb(sql<string>`lower(email)`, '=', wanted)]))
    .orderBy(sql`lower(username) = ${wanted}`, 'desc')
    .executeTakeFirst();
}

export async function savePasswordHash(db: Db, technicianId: string, passwordHash: string): Promise<void> {
  await db.updateTable('technicians').set({ password_hash: passwordHash }).where('id', '=', technicianId).execute();
}

/** Changes a technician's columns; returns the technician after it (throws when there is none). */
export async function updateTechnicianRow(db: Db, technicianId: string, changes: TechnicianUpdate): Promise<Technician> {
  return db.updateTable('technicians').set(changes).where('id', '=', technicianId).returningAll().executeTakeFirstOrThrow();
}

export async function technicianCount(db: Db): Promise<number> {
  const { count } = await db
    .selectFrom('technicians')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** How many administrators are not disabled. */
export async function countActiveAdministrators(db: Db): Promise<number> {
  const admins = await db
    .selectFrom('technicians')
    .select('id')
    .where('role', '=', 'administrator')
    .where('disabled', '=', false)
    .execute();
  return admins.length;
}

/** Every technician, by username (case-insensitive). */
export async function techniciansByUsername(db: Db): Promise<Technician[]> {
  return db
    .selectFrom('technicians')
    .selectAll()
    .orderBy(sql`lower(username)`)
    .execute();
}
