// Browser sessions, stored in the database. The cookie holds a random token; the table holds
// its SHA-256. A session ends after IDLE_TIMEOUT without a request or ABSOLUTE_LIFETIME after
// sign-in, whichever comes first (OWASP Session Management: both timeouts).
import type { Kysely } from 'kysely';
import type { Clock } from '../time.ts';
import type { Database } from '../db/schema.ts';
import type { Principal } from './roles.ts';
import { randomSecret, sha256Hex } from './secrets.ts';
import {
  deleteEndedSessions,
  deleteSession,
  deleteSessionsOfTechnician,
  findSessionWithTechnician,
  insertSession,
  saveSessionSecondFactor,
  touchSession,
} from '../stores/auth-sessions.ts';

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
  await insertSession(db, {
    idHash: sha256Hex(token),
    technicianId,
    csrfToken,
    now,
    expiresAt: new Date(now.getTime() + ABSOLUTE_LIFETIME_MS),
    secondFactorAt: options.secondFactorAt ?? null,
    enrolmentOnly: options.enrolmentOnly ?? false,
  });
  return { token, csrfToken };
}

/** The signed-in technician for a cookie value, or null (unknown, expired, idle, disabled). */
export async function resolveSession({ db, clock }: SessionDeps, token: string): Promise<Principal | null> {
  const idHash = sha256Hex(token);
  const row = await findSessionWithTechnician(db, idHash);
  if (!row) return null;
  const now = clock.now().getTime();
  const idleSince = new Date(row.last_seen_at).getTime();
  if (row.disabled || now >= new Date(row.expires_at).getTime() || now - idleSince >= IDLE_TIMEOUT_MS) {
    await deleteSession(db, idHash);
    return null;
  }
  if (now - idleSince >= TOUCH_INTERVAL_MS) {
    await touchSession(db, idHash, new Date(now));
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
  await saveSessionSecondFactor(db, sha256Hex(token), clock.now(), false);
}

/** After its second factor was removed while one is required, a session may only enrol again. */
export async function restrictSessionToEnrolment({ db }: Pick<SessionDeps, 'db'>, token: string): Promise<void> {
  await saveSessionSecondFactor(db, sha256Hex(token), null, true);
}

export async function destroySession({ db }: Pick<SessionDeps, 'db'>, token: string): Promise<void> {
  await deleteSession(db, sha256Hex(token));
}

export async function destroySessionsOf(db: Kysely<Database>, technicianId: string): Promise<void> {
  await deleteSessionsOfTechnician(db, technicianId);
}

/** Expired sessions are deleted when met; this sweeps the ones never met again. */
export async function pruneSessions({ db, clock }: SessionDeps): Promise<number> {
  const now = clock.now();
  return deleteEndedSessions(db, now, new Date(now.getTime() - IDLE_TIMEOUT_MS));
}
