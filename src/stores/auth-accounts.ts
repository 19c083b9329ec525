// Technician accounts (technicians): who may still act, the second factors step-up asks about,
// and the sign-in counters of the lockout (src/auth/lockout.ts says when an account locks).
import { sql, type Kysely } from 'kysely';
import type { Database, Technician } from '../db/schema.ts';

type Db = Kysely<Database>;

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
