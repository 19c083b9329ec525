// The per-account lockout: after MAX_FAILED_SIGN_INS wrong answers in a row (passwords, and any
// second factor that counts towards the same lockout) the account is locked for LOCKOUT_MS.
// A failure is counted by one UPDATE … RETURNING, so N parallel wrong attempts count N: a
// read-then-write count let 12 parallel guesses leave the account unlocked (issue 13).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { recordAudit } from '../stores/audit.ts';
import { countFailedSignIn, saveSuccessfulSignIn } from '../stores/auth-accounts.ts';

export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;

export interface FailedAttemptOutcome {
  /** Until when the account is locked after this attempt (null: not locked). */
  lockedUntil: Date | null;
  /** True for exactly one attempt: the one that locked the account (its lockout is audited). */
  lockedNow: boolean;
}

/**
 * Records one failed attempt to authenticate as the technician, atomically. The attempt that
 * reaches MAX_FAILED_SIGN_INS locks the account, resets the count and writes the audit row.
 * Callers answer the attempt the same way whether or not it locked (no enumeration).
 */
export async function recordFailedSignIn(db: Kysely<Database>, technicianId: string, now: Date): Promise<FailedAttemptOutcome> {
  const lockUntil = new Date(now.getTime() + LOCKOUT_MS);
  const row = await countFailedSignIn(db, technicianId, { limit: MAX_FAILED_SIGN_INS, lockUntil, now });
  if (!row) return { lockedUntil: null, lockedNow: false };
  const lockedUntil = row.locked_until && new Date(row.locked_until).getTime() > now.getTime() ? new Date(row.locked_until) : null;
  // Only the locking update sets the count back to 0; every other one leaves it at 1 or more.
  const lockedNow = row.failed_logins === 0 && lockedUntil !== null;
  if (lockedNow) {
    await recordAudit(db, {
      actor: { id: null, label: 'docsync' },
      action: 'technician.locked_out',
      subjectType: 'technician',
      subjectId: technicianId,
      before: null,
      after: { lockedForMinutes: LOCKOUT_MS / 60_000 },
      at: now,
    });
  }
  return { lockedUntil, lockedNow };
}

export function isLockedOut(row: { locked_until: Date | null }, now: Date): boolean {
  return row.locked_until !== null && new Date(row.locked_until).getTime() > now.getTime();
}

/**
 * Records a successful sign-in, unless the account was locked in the meantime (a parallel wrong
 * attempt locked it while this one's password was being checked). False: treat as a failure.
 */
export async function recordSuccessfulSignIn(
  db: Kysely<Database>,
  technicianId: string,
  now: Date,
  passwordHash?: string,
): Promise<boolean> {
  return saveSuccessfulSignIn(db, technicianId, now, passwordHash);
}
