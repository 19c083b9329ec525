// Browser sessions, stored in the database. The cookie holds a random token; the table holds
// its SHA-256. A session ends after IDLE_TIMEOUT without a request or ABSOLUTE_LIFETIME after
// sign-in, whichever comes first (OWASP Session Management: both timeouts).
import type { Kysely } from 'kysely';
import type { Clock } from '../time.ts';
import type { Database } from '../db/schema.ts';
import type { Principal } from './roles.ts';
import { randomSecret, sha256Hex } from './secrets.ts';

export const SESSION_COOKIE = 'docsync_session';
export const IDLE_TIMEOUT_MS = 2 * 60 * 60 * 1000;
export const ABSOLUTE_LIFETIME_MS = 12 * 60 * 60 * 1000;
/** last_seen_at is written at most this often, so reading pages does not write on every request. */
const TOUCH_INTERVAL_MS = 60 * 1000;

export interface SessionDeps {
  db: Kysely<Database>;
  clock: Clock;
}

export interface NewSessionOptions {
  /** When the sign-in proved a second factor (null: password only). */
  secondFactorAt?: Date | null;
  /** The session may only enrol a second factor (an administrator requires one). */
  enrolmentOnly?: boolean;
}

export async function createSession(
  { db, clock }: SessionDeps,
  technicianId: string,
  options: NewSessionOptions = {},
): Promise<{ token: string; csrfToken: string }> {
  const token = randomSecret();
  const csrfToken = randomSecret();
  const now = clock.now();
  await db
    .insertInto('sessions')
    .values({
      id_hash: sha256Hex(token),
      technician_id: technicianId,
      csrf_token: csrfToken,
      created_at: now,
      last_seen_at: now,
      expires_at: new Date(now.getTime() + ABSOLUTE_LIFETIME_MS),
      second_factor_at: options.secondFactorAt ?? null,
      enrolment_only: options.enrolmentOnly ?? false,
    })
    .execute();
  return { token, csrfToken };
}

/** The signed-in technician for a cookie value, or null (unknown, expired, idle, disabled). */
export async function resolveSession({ db, clock }: SessionDeps, token: string): Promise<Principal | null> {
  const idHash = sha256Hex(token);
  const row = await db
    .selectFrom('sessions')
    .innerJoin('technicians', 'technicians.id', 'sessions.technician_id')
    .select(['sessions.csrf_token', 'sessions.last_seen_at', 'sessions.expires_at', 'sessions.second_factor_at', 'sessions.enrolment_only'])
    .select(['technicians.id', 'technicians.username', 'technicians.display_name', 'technicians.role', 'technicians.disabled'])
    .where('sessions.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row) return null;
  const now = clock.now().getTime();
  const idleSince = new Date(row.last_seen_at).getTime();
  if (row.disabled || now >= new Date(row.expires_at).getTime() || now - idleSince >= IDLE_TIMEOUT_MS) {
    await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    return null;
  }
  if (now - idleSince >= TOUCH_INTERVAL_MS) {
    await db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(now) })
      .where('id_hash', '=', idHash)
      .execute();
  }
  return {
    technicianId: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    via: 'session',
    csrfToken: row.csrf_token,
    secondFactorAt: row.second_factor_at ? new Date(row.second_factor_at) : null,
    enrolmentOnly: row.enrolment_only,
  };
}

/** A second factor was just proved in this session (step-up, enrolment): it counts as fresh from now, and may do everything. */
export async function markSecondFactor({ db, clock }: SessionDeps, token: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ second_factor_at: clock.now(), enrolment_only: false })
    .where('id_hash', '=', sha256Hex(token))
    .execute();
}

/** After its second factor was removed while one is required, a session may only enrol again. */
export async function restrictSessionToEnrolment({ db }: Pick<SessionDeps, 'db'>, token: string): Promise<void> {
  await db.updateTable('sessions').set({ second_factor_at: null, enrolment_only: true }).where('id_hash', '=', sha256Hex(token)).execute();
}

export async function destroySession({ db }: Pick<SessionDeps, 'db'>, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', sha256Hex(token)).execute();
}

export async function destroySessionsOf(db: Kysely<Database>, technicianId: string): Promise<void> {
  await db.deleteFrom('sessions').where('technician_id', '=', technicianId).execute();
}

/** Expired sessions are deleted when met; this sweeps the ones never met again. */
export async function pruneSessions({ db, clock }: SessionDeps): Promise<number> {
  const now = clock.now();
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', new Date(now.getTime() - IDLE_TIMEOUT_MS))]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
