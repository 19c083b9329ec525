// Second factors: the installation's sign-in rules (security_settings, one row with id 1), the
// authenticator-app columns of technicians, recovery codes (recovery_codes, SHA-256 only) and the
// sign-ins waiting for their second factor (sign_in_challenges). When a code is right, what is
// audited and when an account locks are src/auth/mfa.ts's and lockout.ts's.
import type { Kysely, Selectable } from 'kysely';
import type { Database, SecuritySettingsTable, SignInChallengesTable, Technician } from '../db/schema.ts';

type Db = Kysely<Database>;

export type SecuritySettingsRow = Selectable<SecuritySettingsTable>;
export type SignInChallengeRow = Selectable<SignInChallengesTable>;

// ---- security settings ------------------------------------------------------------------

/** The settings row, or undefined before any was written. */
export async function findSecuritySettingsRow(db: Db): Promise<SecuritySettingsRow | undefined> {
  return db.selectFrom('security_settings').selectAll().where('id', '=', 1).executeTakeFirst();
}

/** Writes the given settings (the others stay). */
export async function saveSecuritySettings(
  db: Db,
  changes: { mfaRequired?: boolean; stepUpMinutes?: number; passwordlessPasskeys?: boolean },
  now: Date,
): Promise<void> {
  await db
    .updateTable('security_settings')
    .set({
      ...(changes.mfaRequired !== undefined ? { mfa_required: changes.mfaRequired } : {}),
      ...(changes.stepUpMinutes !== undefined ? { step_up_minutes: changes.stepUpMinutes } : {}),
      ...(changes.passwordlessPasskeys !== undefined ? { passwordless_passkeys: changes.passwordlessPasskeys } : {}),
      updated_at: now,
    })
    .where('id', '=', 1)
    .execute();
}

// ---- the authenticator app --------------------------------------------------------------

export type SecondFactors = Pick<Technician, 'totp_confirmed_at' | 'passkey_count'>;

/** What second factors a technician has set up (undefined: no such technician). */
export async function findSecondFactors(db: Db, technicianId: string): Promise<SecondFactors | undefined> {
  return db.selectFrom('technicians').select(['totp_confirmed_at', 'passkey_count']).where('id', '=', technicianId).executeTakeFirst();
}

/** A technician's authenticator-app state and username (undefined: no such technician). */
export async function findTotpState(
  db: Db,
  technicianId: string,
): Promise<Pick<Technician, 'id' | 'username' | 'totp_pending_secret_encrypted' | 'totp_confirmed_at'> | undefined> {
  return db
    .selectFrom('technicians')
    .select(['id', 'username', 'totp_pending_secret_encrypted', 'totp_confirmed_at'])
    .where('id', '=', technicianId)
    .executeTakeFirst();
}

export async function savePendingTotpSecret(db: Db, technicianId: string, secretEncrypted: string): Promise<void> {
  await db.updateTable('technicians').set({ totp_pending_secret_encrypted: secretEncrypted }).where('id', '=', technicianId).execute();
}

/**
 * Puts the pending secret in force (first accepted step `step`), only if it is still the one the
 * code was checked against and no app is set up; false when the set-up changed meanwhile.
 */
export async function confirmPendingTotpSecret(
  db: Db,
  technicianId: string,
  pendingSecretEncrypted: string,
  step: number,
  now: Date,
): Promise<boolean> {
  const moved = await db
    .updateTable('technicians')
    .set((eb) => ({
      totp_secret_encrypted: eb.ref('totp_pending_secret_encrypted'),
      totp_pending_secret_encrypted: null,
      totp_confirmed_at: now,
      totp_last_used_step: step,
      updated_at: now,
    }))
    .where('id', '=', technicianId)
    .where('totp_confirmed_at', 'is', null)
    .where('totp_pending_secret_encrypted', '=', pendingSecretEncrypted)
    .returning('id')
    .executeTakeFirst();
  return moved !== undefined;
}

export async function clearTotp(db: Db, technicianId: string, now: Date): Promise<void> {
  await db
    .updateTable('technicians')
    .set({
      totp_secret_encrypted: null,
      totp_pending_secret_encrypted: null,
      totp_confirmed_at: null,
      totp_last_used_step: null,
      updated_at: now,
    })
    .where('id', '=', technicianId)
    .execute();
}

/** Records `step` as the last one used, only if it is later than the last one; false when it is not. */
export async function advanceTotpStep(db: Db, technicianId: string, step: number): Promise<boolean> {
  const accepted = await db
    .updateTable('technicians')
    .set({ totp_last_used_step: step })
    .where('id', '=', technicianId)
    .where((eb) => eb.or([eb('totp_last_used_step', 'is', null), eb('totp_last_used_step', '<', step)]))
    .returning('id')
    .executeTakeFirst();
  return accepted !== undefined;
}

// ---- recovery codes ---------------------------------------------------------------------

/** Deletes every recovery code of a technician; returns how many went. */
export async function deleteRecoveryCodesOf(db: Db, technicianId: string): Promise<number> {
  const removed = await db.deleteFrom('recovery_codes').where('technician_id', '=', technicianId).executeTakeFirst();
  return Number(removed.numDeletedRows);
}

/** Replaces a technician's recovery codes by these hashes; run it inside a transaction. */
export async function replaceRecoveryCodes(trx: Db, technicianId: string, hashes: string[], now: Date): Promise<void> {
  await deleteRecoveryCodesOf(trx, technicianId);
  await trx
    .insertInto('recovery_codes')
    .values(hashes.map((code_hash) => ({ technician_id: technicianId, code_hash, created_at: now })))
    .execute();
}

export async function countUnusedRecoveryCodes(db: Db, technicianId: string): Promise<number> {
  const { count } = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('technician_id', '=', technicianId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** Marks an unused code of this hash used, in one statement (two racing requests cannot both use it); false when none. */
export async function useRecoveryCode(db: Db, technicianId: string, codeHash: string, now: Date): Promise<boolean> {
  const used = await db
    .updateTable('recovery_codes')
    .set({ used_at: now })
    .where('technician_id', '=', technicianId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return used !== undefined;
}

// ---- sign-ins waiting for their second factor -------------------------------------------

export async function findSignInChallenge(db: Db, idHash: string): Promise<SignInChallengeRow | undefined> {
  return db.selectFrom('sign_in_challenges').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

export async function deleteExpiredSignInChallenges(db: Db, now: Date): Promise<void> {
  await db.deleteFrom('sign_in_challenges').where('expires_at', '<=', now).execute();
}

export async function insertSignInChallenge(
  db: Db,
  challenge: { idHash: string; technicianId: string; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('sign_in_challenges')
    .values({
      id_hash: challenge.idHash,
      technician_id: challenge.technicianId,
      created_at: challenge.now,
      expires_at: challenge.expiresAt,
    })
    .execute();
}

/** Deletes a sign-in challenge; false when it was gone already (spent by a racing request). */
export async function deleteSignInChallenge(db: Db, idHash: string): Promise<boolean> {
  const spent = await db.deleteFrom('sign_in_challenges').where('id_hash', '=', idHash).executeTakeFirst();
  return Number(spent.numDeletedRows) === 1;
}
