// Second factors for technician sign-in: TOTP authenticator apps (RFC 6238: SHA-1, 6 digits,
// 30-second steps, as every authenticator app expects) and one-time recovery codes, plus the
// pending second step of a sign-in and the installation's security settings.
//
// The TOTP secret is sealed with the key ring (src/crypto) and kept apart while enrolling, so
// a half-finished enrolment never replaces a working authenticator. A code is accepted once:
// the step it belongs to is stored and only later steps are accepted (RFC 6238 §5.2), with one
// step of clock drift either way. Wrong codes count towards the same lockout as passwords.
import type { Kysely, Selectable } from 'kysely';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { Clock } from '../time.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Database, SignInChallengesTable, Technician } from '../db/schema.ts';
import { BadInput, Conflict, NotFound } from '../errors.ts';
import { hasSecondFactor, type Actor } from './accounts.ts';
import { LOCKOUT_MS, recordFailedSignIn, recordSuccessfulSignIn } from './lockout.ts';
import { recordAudit } from '../stores/audit.ts';
import { findTechnician } from '../stores/auth-accounts.ts';
import {
  advanceTotpStep,
  clearTotp,
  confirmPendingTotpSecret,
  countUnusedRecoveryCodes,
  deleteExpiredSignInChallenges,
  deleteRecoveryCodesOf,
  deleteSignInChallenge,
  findSecondFactors,
  findSecuritySettingsRow,
  findSignInChallenge,
  findTotpState,
  insertSignInChallenge,
  replaceRecoveryCodes,
  saveSecuritySettings,
  savePendingTotpSecret,
  useRecoveryCode,
  type SecondFactors,
} from '../stores/auth-mfa.ts';
import { LockedOut } from './errors.ts';
import { InvalidSecondFactor, PasskeyRefused, SignInChallengeExpired } from './mfa-errors.ts';
import { removeAllPasskeys, verifyPasskeyAssertion, type RelyingParty } from './passkeys.ts';
import { randomSecret, sha256Hex } from './secrets.ts';
import { destroySessionsOf } from './sessions.ts';

export const TOTP_ISSUER = 'docsync';
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps of clock drift accepted either side of now. */
export const TOTP_DRIFT_STEPS = 1;
export const RECOVERY_CODE_COUNT = 10;
/** The cookie that carries a sign-in between the password and the second factor. */
export const SIGN_IN_CHALLENGE_COOKIE = 'docsync_sign_in';
export const SIGN_IN_CHALLENGE_LIFETIME_MS = 5 * 60 * 1000;

export type SecondFactorMethod = 'totp' | 'webauthn' | 'recovery';

/** What a technician presents as the second factor: a code, or a passkey's answer to a challenge. */
export type SecondFactorProof =
  { method: 'totp' | 'recovery'; code: string } | { method: 'webauthn'; assertion: AuthenticationResponseJSON };

export interface MfaDeps {
  db: Kysely<Database>;
  clock: Clock;
  secrets: SecretBox;
  /** Needed to check passkeys (passkeys.ts relyingPartyFor). */
  relyingParty?: RelyingParty;
}

// ---- security settings ------------------------------------------------------------------

export interface SecuritySettings {
  mfaRequired: boolean;
  stepUpMinutes: number;
  /** Technicians may sign in with a discoverable passkey alone. */
  passwordlessPasskeys: boolean;
}

export async function readSecuritySettings(db: Kysely<Database>): Promise<SecuritySettings> {
  const row = await findSecuritySettingsRow(db);
  return {
    mfaRequired: row?.mfa_required ?? false,
    stepUpMinutes: row?.step_up_minutes ?? 15,
    passwordlessPasskeys: row?.passwordless_passkeys ?? false,
  };
}

export async function updateSecuritySettings(
  { db, clock }: Pick<MfaDeps, 'db' | 'clock'>,
  changes: Partial<SecuritySettings>,
  actor: Actor,
  requestId?: string,
): Promise<SecuritySettings> {
  if (
    changes.stepUpMinutes !== undefined &&
    (!Number.isInteger(changes.stepUpMinutes) || changes.stepUpMinutes < 1 || changes.stepUpMinutes > 720)
  ) {
    throw new BadInput('stepUpMinutes is a whole number of minutes from 1 to 720.');
  }
  return db.transaction().execute(async (trx) => {
    const before = await readSecuritySettings(trx);
    const now = clock.now();
    await saveSecuritySettings(trx, changes, now);
    const after = await readSecuritySettings(trx);
    await recordAudit(trx, {
      actor,
      action: 'security_settings.update',
      subjectType: 'security_settings',
      subjectId: null,
      before,
      after,
      requestId,
      at: now,
    });
    return after;
  });
}

/** Whether a technician must present a second factor: one is enrolled, or an administrator requires it. */
export function mustUseSecondFactor(
  technician: Pick<Technician, 'totp_confirmed_at' | 'passkey_count'>,
  settings: SecuritySettings,
): boolean {
  return settings.mfaRequired || hasSecondFactor(technician);
}

export { findSecondFactors };

/** What second factors a technician has set up; NotFound when the account is gone. */
export async function secondFactorsOf(db: Kysely<Database>, technicianId: string): Promise<SecondFactors> {
  const row = await findSecondFactors(db, technicianId);
  if (!row) throw new NotFound('No such technician.');
  return row;
}

export function secondFactorMethods(technician: Pick<Technician, 'totp_confirmed_at' | 'passkey_count'>): SecondFactorMethod[] {
  const methods: SecondFactorMethod[] = [];
  if (technician.totp_confirmed_at) methods.push('totp');
  if (technician.passkey_count > 0) methods.push('webauthn');
  // Recovery codes come with the authenticator app (they replace a lost phone).
  if (technician.totp_confirmed_at) methods.push('recovery');
  return methods;
}

// ---- TOTP enrolment ---------------------------------------------------------------------

export interface TotpEnrolment {
  secret: string;
  otpauthUrl: string;
  /** An SVG QR code of otpauthUrl: markup, not a script or a data URL, so the page's CSP holds. */
  qrSvg: string;
}

function totpFor(secret: Secret, label: string): TOTP {
  return new TOTP({ issuer: TOTP_ISSUER, label, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, secret });
}

/** Starts (or restarts) enrolling an authenticator app: a new secret, not in force until confirmed by a code. */
export async function beginTotpEnrolment({ db, secrets }: MfaDeps, technicianId: string): Promise<TotpEnrolment> {
  const row = await findTotpState(db, technicianId);
  if (!row) throw new NotFound('No such technician.');
  if (row.totp_confirmed_at)
    throw new Conflict('An authenticator app is already set up.', 'Remove it first (DELETE /api/me/mfa/totp) to set up another.');
  // 160 bits, the HMAC-SHA-1 key length RFC 4226 §4 recommends.
  const secret = new Secret({ size: 20 });
  await savePendingTotpSecret(db, technicianId, secrets.seal(secret.base32));
  return describeEnrolment(secret, row.username);
}

/** The enrolment under way (to show its QR code again after a mistyped code), or null. */
export async function pendingTotpEnrolment({ db, secrets }: MfaDeps, technicianId: string): Promise<TotpEnrolment | null> {
  const row = await findTotpState(db, technicianId);
  if (!row?.totp_pending_secret_encrypted || row.totp_confirmed_at) return null;
  return describeEnrolment(Secret.fromBase32(secrets.open(row.totp_pending_secret_encrypted)), row.username);
}

async function describeEnrolment(secret: Secret, username: string): Promise<TotpEnrolment> {
  const otpauthUrl = totpFor(secret, username).toString();
  const qrSvg = await QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret: secret.base32, otpauthUrl, qrSvg };
}

/** The 30-second step a code matches (now ± drift), or null; exported for the RFC 6238 test vectors. */
export function matchingStep(secretBase32: string, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = new TOTP({ algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secretBase32) });
  const delta = totp.validate({ token: code, timestamp: now.getTime(), window: TOTP_DRIFT_STEPS });
  return delta === null ? null : totp.counter({ timestamp: now.getTime() }) + delta;
}

/** Confirms enrolment with one code from the app; returns the recovery codes (shown once). */
export async function confirmTotpEnrolment(
  deps: MfaDeps,
  technicianId: string,
  code: string,
  actor: Actor,
  requestId?: string,
): Promise<string[]> {
  const { db, clock, secrets } = deps;
  const row = await findTotpState(db, technicianId);
  if (!row) throw new NotFound('No such technician.');
  if (row.totp_confirmed_at) throw new Conflict('An authenticator app is already set up.');
  if (!row.totp_pending_secret_encrypted) throw new Conflict('Start setting up an authenticator app first (POST /api/me/mfa/totp).');
  const now = clock.now();
  const step = matchingStep(secrets.open(row.totp_pending_secret_encrypted), normalizeCode(code), now);
  if (step === null)
    throw new BadInput(
      "That code does not match. Enter the 6-digit code your app shows now (check the phone's clock is set automatically).",
    );
  const { codes, hashes } = newRecoveryCodes();
  const pendingSecret = row.totp_pending_secret_encrypted;
  await db.transaction().execute(async (trx) => {
    const moved = await confirmPendingTotpSecret(trx, technicianId, pendingSecret, step, now);
    if (!moved) throw new Conflict('The set-up changed meanwhile (another tab?). Start again.');
    await replaceRecoveryCodes(trx, technicianId, hashes, now);
    await recordAudit(trx, {
      actor,
      action: 'technician.mfa_totp_enrol',
      subjectType: 'technician',
      subjectId: technicianId,
      before: null,
      after: { totp: true, recoveryCodes: hashes.length },
      requestId,
      at: now,
    });
  });
  return codes;
}

/** Removes a technician's authenticator app and recovery codes (their own choice, or an administrator's reset). */
export async function removeSecondFactors(
  { db, clock }: Pick<MfaDeps, 'db' | 'clock'>,
  technicianId: string,
  actor: Actor,
  options: { action: 'technician.mfa_totp_remove' | 'technician.mfa_reset'; endSessions: boolean; requestId?: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const now = clock.now();
    const before = await findTotpState(trx, technicianId);
    if (!before) throw new NotFound('No such technician.');
    await clearTotp(trx, technicianId, now);
    const removedCodes = await deleteRecoveryCodesOf(trx, technicianId);
    // An administrator's reset takes every factor, passkeys included; removing the app keeps them.
    const removedPasskeys = options.action === 'technician.mfa_reset' ? await removeAllPasskeys(trx, technicianId) : 0;
    if (options.endSessions) await destroySessionsOf(trx, technicianId);
    await recordAudit(trx, {
      actor,
      action: options.action,
      subjectType: 'technician',
      subjectId: technicianId,
      before: {
        totp: before.totp_confirmed_at !== null,
        recoveryCodes: removedCodes,
        ...(removedPasskeys ? { passkeys: removedPasskeys } : {}),
      },
      after: { totp: false, recoveryCodes: 0 },
      requestId: options.requestId,
      at: now,
    });
  });
}

// ---- recovery codes ---------------------------------------------------------------------

// 16 characters of Crockford's base32 (no i, l, o, u to misread): 80 random bits, so a plain
// SHA-256 is enough to store them (as for session tokens, secrets.ts).
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const RECOVERY_CODE_PATTERN = /^[a-z0-9]{16}$/;

function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes: string[] = [];
  while (codes.length < RECOVERY_CODE_COUNT) {
    const chars = Array.from(Buffer.from(randomSecret(), 'base64url').subarray(0, 16), (byte) => RECOVERY_ALPHABET[byte & 31]);
    codes.push(chars.join('').replace(/(.{4})(?=.)/g, '$1-'));
  }
  return { codes, hashes: codes.map((c) => sha256Hex(normalizeRecoveryCode(c))) };
}

function normalizeCode(code: string): string {
  return code.replace(/\s+/g, '');
}

function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]+/g, '');
}

/** New recovery codes (shown once); the old ones stop working. */
export async function regenerateRecoveryCodes(
  { db, clock }: Pick<MfaDeps, 'db' | 'clock'>,
  technicianId: string,
  actor: Actor,
  requestId?: string,
): Promise<string[]> {
  const { codes, hashes } = newRecoveryCodes();
  await db.transaction().execute(async (trx) => {
    const row = await findSecondFactors(trx, technicianId);
    if (!row?.totp_confirmed_at) throw new Conflict('Recovery codes come with an authenticator app: set one up first.');
    const now = clock.now();
    await replaceRecoveryCodes(trx, technicianId, hashes, now);
    await recordAudit(trx, {
      actor,
      action: 'technician.mfa_recovery_codes_regenerate',
      subjectType: 'technician',
      subjectId: technicianId,
      before: null,
      after: { recoveryCodes: hashes.length },
      requestId,
      at: now,
    });
  });
  return codes;
}

export async function unusedRecoveryCodeCount(db: Kysely<Database>, technicianId: string): Promise<number> {
  return countUnusedRecoveryCodes(db, technicianId);
}

// ---- checking a second factor -----------------------------------------------------------

/** Checks a code without counting failures: true when right (and then used up). */
async function acceptCode({ db, clock, secrets }: MfaDeps, row: Technician, method: 'totp' | 'recovery', code: string): Promise<boolean> {
  const now = clock.now();
  if (method === 'recovery') {
    const normalized = normalizeRecoveryCode(code);
    if (!RECOVERY_CODE_PATTERN.test(normalized)) return false;
    // One statement: two requests racing with the same code cannot both use it.
    return useRecoveryCode(db, row.id, sha256Hex(normalized), now);
  }
  if (!row.totp_secret_encrypted || !row.totp_confirmed_at) return false;
  const step = matchingStep(secrets.open(row.totp_secret_encrypted), normalizeCode(code), now);
  if (step === null) return false;
  // Only a later step than the last one accepted: a code seen once (shoulder, proxy log) is spent.
  return advanceTotpStep(db, row.id, step);
}

/**
 * Checks a technician's second factor. Locked accounts are refused first; a wrong, reused,
 * malformed or out-of-window code is audited and counts towards the lockout.
 */
export async function verifySecondFactor(
  deps: MfaDeps,
  technicianId: string,
  proof: SecondFactorProof,
  requestId?: string,
): Promise<Technician> {
  const { method } = proof;
  const { db, clock } = deps;
  const row = await findTechnician(db, technicianId);
  if (!row || row.disabled) throw new SignInChallengeExpired();
  const now = clock.now();
  if (row.locked_until && new Date(row.locked_until).getTime() > now.getTime())
    throw new LockedOut((new Date(row.locked_until).getTime() - now.getTime()) / 1000);
  let refusal: PasskeyRefused | null = null;
  let accepted = false;
  if (proof.method === 'webauthn') {
    if (!deps.relyingParty) throw new Error('verifySecondFactor needs the relying party to check a passkey');
    try {
      await verifyPasskeyAssertion({ db, clock, relyingParty: deps.relyingParty }, proof.assertion, row.id);
      accepted = true;
    } catch (error) {
      if (!(error instanceof PasskeyRefused)) throw error;
      refusal = error;
    }
  } else {
    accepted = await acceptCode(deps, row, proof.method, proof.code);
  }
  if (accepted) {
    if (method === 'recovery') {
      await recordAudit(db, {
        actor: { id: row.id, label: row.username },
        action: 'technician.mfa_recovery_code_used',
        subjectType: 'technician',
        subjectId: row.id,
        before: null,
        after: { left: await unusedRecoveryCodeCount(db, row.id) },
        requestId,
        at: now,
      });
    }
    return row;
  }
  await recordAudit(db, {
    actor: { id: row.id, label: row.username },
    action: 'technician.mfa_failed',
    subjectType: 'technician',
    subjectId: row.id,
    before: null,
    after: { method, ...(refusal ? { reason: refusal.reason } : {}) },
    requestId,
    at: now,
  });
  // Counted atomically with wrong passwords (lockout.ts); the attempt that locks says so: the
  // password was right, so the lock reveals nothing new.
  if ((await recordFailedSignIn(db, row.id, now)).lockedNow) throw new LockedOut(LOCKOUT_MS / 1000);
  throw refusal ?? new InvalidSecondFactor();
}

// ---- the sign-in between password and second factor ---------------------------------------

/** The sign-in waiting for its second factor that this cookie value names (expired or not), or undefined. */
export async function signInChallengeOf(
  db: Kysely<Database>,
  token: string,
): Promise<Pick<Selectable<SignInChallengesTable>, 'technician_id' | 'expires_at'> | undefined> {
  const challenge = await findSignInChallenge(db, sha256Hex(token));
  return challenge && { technician_id: challenge.technician_id, expires_at: challenge.expires_at };
}

/** After a right password: a short-lived challenge the second factor completes. Returns the cookie value. */
export async function createSignInChallenge({ db, clock }: Pick<MfaDeps, 'db' | 'clock'>, technicianId: string): Promise<string> {
  const token = randomSecret();
  const now = clock.now();
  await deleteExpiredSignInChallenges(db, now);
  await insertSignInChallenge(db, {
    idHash: sha256Hex(token),
    technicianId,
    now,
    expiresAt: new Date(now.getTime() + SIGN_IN_CHALLENGE_LIFETIME_MS),
  });
  return token;
}

/**
 * Completes a sign-in with its second factor: the challenge is spent only on success, so a
 * wrong code can be retried (until the lockout), and a right one never twice.
 */
export async function completeSignInChallenge(
  deps: MfaDeps,
  token: string | undefined,
  proof: SecondFactorProof,
  requestId?: string,
): Promise<Technician> {
  const { db, clock } = deps;
  if (!token || token.length > 200) throw new SignInChallengeExpired();
  const challenge = await findSignInChallenge(db, sha256Hex(token));
  if (!challenge || new Date(challenge.expires_at).getTime() <= clock.now().getTime()) throw new SignInChallengeExpired();
  const technician = await verifySecondFactor(deps, challenge.technician_id, proof, requestId);
  if (!(await deleteSignInChallenge(db, challenge.id_hash))) throw new SignInChallengeExpired();
  if (!(await recordSuccessfulSignIn(db, technician.id, clock.now()))) throw new LockedOut(LOCKOUT_MS / 1000);
  return technician;
}
