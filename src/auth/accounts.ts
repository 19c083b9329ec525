// Technician accounts: creation, sign-in with lockout, the first-run setup link, the demo
// login, and administration (role, disable, password reset). Every change is audited.
import type { Kysely } from 'kysely';
import type { Clock } from '../time.ts';
import type { Database, Technician, TechnicianRole } from '../db/schema.ts';
import { BadInput, Conflict, NotFound } from '../errors.ts';
import { recordAudit } from '../stores/audit.ts';
import {
  countActiveAdministrators,
  emailTaken,
  findTechnician,
  findTechnicianBySignInName,
  findTechnicianIdByUsername,
  insertTechnician as insertTechnicianRow,
  savePasswordHash,
  technicianCount,
  techniciansByUsername,
  updateTechnicianRow,
  usernameTaken,
} from '../stores/auth-accounts.ts';
import { claimSetupLink, findSetupLink, replaceUnusedSetupLinks } from '../stores/auth-setup-links.ts';
import { revokeApiTokensOf } from './api-tokens.ts';
import { InvalidCredentials } from './errors.ts';
import { isLockedOut, recordFailedSignIn, recordSuccessfulSignIn } from './lockout.ts';
import { checkPasswordPolicy, decoyPasswordHash, hashPassword, passwordNeedsRehash, verifyPassword } from './passwords.ts';
import { destroySessionsOf } from './sessions.ts';
import { randomSecret, sha256Hex } from './secrets.ts';
import { DAY_MS } from '../time.ts';

/** What first-run setup needs of the app context. */
export interface SetupDeps {
  database: { db: Kysely<Database> };
  clock: Clock;
}

export { LOCKOUT_MS, MAX_FAILED_SIGN_INS } from './lockout.ts';
const SETUP_LINK_LIFETIME_MS = DAY_MS;
export const DEMO_USERNAME = 'demo';

export interface AccountDeps {
  db: Kysely<Database>;
  clock: Clock;
}

export interface Actor {
  id: string | null;
  label: string;
}

export interface TechnicianSummary {
  id: string;
  username: string;
  email: string | null;
  displayName: string | null;
  role: TechnicianRole;
  disabled: boolean;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  createdAt: string;
  mfaEnrolled: boolean;
}

export function summarizeTechnician(row: Technician): TechnicianSummary {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    displayName: row.display_name,
    role: row.role,
    disabled: row.disabled,
    lockedUntil: iso(row.locked_until),
    lastLoginAt: iso(row.last_login_at),
    createdAt: new Date(row.created_at).toISOString(),
    mfaEnrolled: hasSecondFactor(row),
  };
}

const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{2,64}$/;
/** A mailbox address as people type it: local@domain.tld, no spaces, no display name. */
const DOMAIN_LABEL = /[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?/.source;
const EMAIL_PATTERN = new RegExp(`^[^\\s@<>()[\\]\\\\,;:"]{1,64}@(?=.{1,253}$)${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})+$`);

export interface NewTechnicianInput {
  username: string;
  password: string;
  role: TechnicianRole;
  email?: string | null;
  displayName?: string | null;
}

/** An email as stored: trimmed, "" as none; throws when it is not an address. */
export function normalizeEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim() ?? '';
  if (trimmed === '') return null;
  if (!EMAIL_PATTERN.test(trimmed)) throw new BadInput(`"${trimmed.slice(0, 80)}" is not an email address (expected name@example.com).`);
  return trimmed;
}

async function assertEmailFree(db: Kysely<Database>, email: string | null, exceptId: string | null): Promise<void> {
  if (email === null) return;
  if (await emailTaken(db, email, exceptId)) throw new Conflict('Another account already uses this email address.');
}

/** Everything about a new account that can be checked without the database, before anything is claimed. */
async function prepareTechnician(input: NewTechnicianInput): Promise<{ username: string; email: string | null; passwordHash: string }> {
  const username = input.username.trim();
  if (!USERNAME_PATTERN.test(username)) throw new BadInput('A username has 2 to 64 letters, digits, dots, dashes, underscores or @.');
  const email = normalizeEmail(input.email);
  checkPasswordPolicy(input.password, username);
  return { username, email, passwordHash: await hashPassword(input.password) };
}

async function insertTechnician(
  trx: Kysely<Database>,
  clock: Clock,
  prepared: { username: string; email: string | null; passwordHash: string },
  input: NewTechnicianInput,
  actor: Actor,
  requestId?: string,
): Promise<TechnicianSummary> {
  const { username, email, passwordHash } = prepared;
  if (await usernameTaken(trx, username)) throw new Conflict(`The username "${username}" is taken.`);
  await assertEmailFree(trx, email, null);
  const now = clock.now();
  const row = await insertTechnicianRow(trx, {
    username,
    email,
    display_name: input.displayName ?? null,
    password_hash: passwordHash,
    role: input.role,
    created_at: now,
    updated_at: now,
  });
  const summary = summarizeTechnician(row);
  await recordAudit(trx, {
    actor,
    action: 'technician.create',
    subjectType: 'technician',
    subjectId: row.id,
    before: null,
    after: auditView(summary),
    requestId,
    at: now,
  });
  return summary;
}

export async function createTechnician(
  { db, clock }: AccountDeps,
  input: NewTechnicianInput,
  actor: Actor,
  requestId?: string,
): Promise<TechnicianSummary> {
  const prepared = await prepareTechnician(input);
  return db.transaction().execute((trx) => insertTechnician(trx, clock, prepared, input, actor, requestId));
}

/**
 * Checks a username (or email) and password. Wrong passwords count towards a lockout. Unknown
 * usernames, wrong passwords, locked and disabled accounts all get the same answer after the same
 * work (one password hash verified), so the answer does not tell which accounts exist.
 */
export async function authenticate({ db, clock }: AccountDeps, login: string, password: string): Promise<Technician> {
  const row = await findTechnicianBySignInName(db, login.trim());
  const now = clock.now();
  if (!row || isLockedOut(row, now)) {
    await verifyPassword(await decoyPasswordHash(), password);
    throw new InvalidCredentials();
  }
  if (!(await verifyPassword(row.password_hash, password))) {
    await recordFailedSignIn(db, row.id, now);
    throw new InvalidCredentials();
  }
  if (row.disabled) throw new InvalidCredentials();
  const rehash = passwordNeedsRehash(row.password_hash) ? await hashPassword(password) : row.password_hash;
  // With a second factor still to come, the failure count stands until that is right too (mfa.ts).
  if (hasSecondFactor(row)) {
    if (rehash !== row.password_hash) await savePasswordHash(db, row.id, rehash);
    return row;
  }
  if (!(await recordSuccessfulSignIn(db, row.id, now, rehash))) throw new InvalidCredentials();
  return { ...row, failed_logins: 0, locked_until: null, last_login_at: now };
}

/** Whether an account has a confirmed second factor (a TOTP authenticator; passkeys later). */
/** One technician by id; NotFound when there is none. */
export async function getTechnician(db: Kysely<Database>, technicianId: string): Promise<Technician> {
  const row = await findTechnician(db, technicianId);
  if (!row) throw new NotFound('No such technician.');
  return row;
}

/** Lets a technician run lifecycle actions, or stops them; audited in the same transaction. */
export async function setCanAct(
  db: Kysely<Database>,
  input: { technicianId: string; canAct: boolean; actor: Actor; requestId?: string; at: Date },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await findTechnician(trx, input.technicianId);
    if (!before) throw new NotFound('No such technician.');
    await updateTechnicianRow(trx, input.technicianId, { can_act: input.canAct, updated_at: input.at });
    await recordAudit(trx, {
      actor: input.actor,
      action: 'technician.can_act',
      subjectType: 'technician',
      subjectId: input.technicianId,
      before: { canAct: before.can_act },
      after: { canAct: input.canAct },
      requestId: input.requestId,
      at: input.at,
    });
  });
}

export function hasSecondFactor(row: Pick<Technician, 'totp_confirmed_at' | 'passkey_count'>): boolean {
  return row.totp_confirmed_at !== null || row.passkey_count > 0;
}

export async function countTechnicians(db: Kysely<Database>): Promise<number> {
  return technicianCount(db);
}

/**
 * The one-time link that creates the first administrator, or null when an account exists.
 * `docsync serve` prints it at start; each call replaces the previous unused link.
 */
export async function firstRunSetupLink(ctx: SetupDeps, baseUrl: string): Promise<string | null> {
  const db = ctx.database.db;
  if ((await countTechnicians(db)) > 0) return null;
  const token = randomSecret();
  const now = ctx.clock.now();
  await db.transaction().execute(async (trx) => {
    await replaceUnusedSetupLinks(trx, { tokenHash: sha256Hex(token), now, expiresAt: new Date(now.getTime() + SETUP_LINK_LIFETIME_MS) });
  });
  return `${baseUrl.replace(/\/$/, '')}/setup?token=${encodeURIComponent(token)}`;
}

/** Whether a setup link token can still be used (shown before the form is filled in). */
export async function setupLinkUsable({ db, clock }: AccountDeps, token: string): Promise<boolean> {
  const row = await findSetupLink(db, sha256Hex(token));
  return !!row && row.used_at === null && new Date(row.expires_at).getTime() > clock.now().getTime() && (await countTechnicians(db)) === 0;
}

/**
 * Redeems a setup link: creates the first administrator, once. The input is checked before the
 * link is claimed, and the claim and the account are one transaction: a rejected password (or
 * any failure) leaves the link usable.
 */
export async function completeSetup(
  deps: AccountDeps,
  token: string,
  input: Omit<NewTechnicianInput, 'role'>,
  requestId?: string,
): Promise<TechnicianSummary> {
  const { db, clock } = deps;
  const account = { ...input, role: 'administrator' as const };
  const prepared = await prepareTechnician(account);
  return db.transaction().execute(async (trx) => {
    const now = clock.now();
    const claimed = await claimSetupLink(trx, sha256Hex(token), now);
    if (!claimed || (await countTechnicians(trx)) > 0) {
      throw new NotFound(
        'This setup link was used already or has expired.',
        'Restart `docsync serve` for a new link, or sign in with the account that was created.',
      );
    }
    return insertTechnician(trx, clock, prepared, account, { id: null, label: 'setup link' }, requestId);
  });
}

/**
 * The demo login: an administrator named "demo" with a fresh random password on every call
 * (the demo prints it; hashes cannot be read back, so the password is set anew).
 */
export async function ensureDemoTechnician(ctx: SetupDeps): Promise<{ username: string; password: string }> {
  const db = ctx.database.db;
  const password = randomSecret().slice(0, 20);
  const existingId = await findTechnicianIdByUsername(db, DEMO_USERNAME);
  if (existingId) {
    await updateTechnicianRow(db, existingId, {
      password_hash: await hashPassword(password),
      role: 'administrator',
      disabled: false,
      failed_logins: 0,
      locked_until: null,
      updated_at: ctx.clock.now(),
    });
  } else {
    await createTechnician(
      { db, clock: ctx.clock },
      { username: DEMO_USERNAME, password, role: 'administrator', displayName: 'Demo technician' },
      { id: null, label: 'demo' },
    );
  }
  return { username: DEMO_USERNAME, password };
}

export async function listTechnicians(db: Kysely<Database>): Promise<TechnicianSummary[]> {
  const rows = await techniciansByUsername(db);
  return rows.map(summarizeTechnician);
}

export interface TechnicianChanges {
  role?: TechnicianRole;
  disabled?: boolean;
  displayName?: string | null;
  email?: string | null;
  password?: string;
}

export async function updateTechnician(
  { db, clock }: AccountDeps,
  id: string,
  changes: TechnicianChanges,
  actor: Actor,
  requestId?: string,
): Promise<TechnicianSummary> {
  const before = await findTechnician(db, id);
  if (!before) throw new NotFound('No such technician.');
  if (changes.password !== undefined) checkPasswordPolicy(changes.password, before.username);
  const email = changes.email !== undefined ? normalizeEmail(changes.email) : undefined;
  const passwordHash = changes.password !== undefined ? await hashPassword(changes.password) : undefined;
  return db.transaction().execute(async (trx) => {
    if ((changes.role !== undefined && changes.role !== 'administrator') || changes.disabled === true) {
      if (before.role === 'administrator' && !before.disabled) {
        if ((await countActiveAdministrators(trx)) <= 1)
          throw new Conflict('This is the last administrator: make someone else administrator first.');
      }
    }
    if (email !== undefined) await assertEmailFree(trx, email, id);
    const now = clock.now();
    const row = await updateTechnicianRow(trx, id, {
      ...(changes.role !== undefined ? { role: changes.role } : {}),
      ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
      ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
      ...(email !== undefined ? { email } : {}),
      ...(passwordHash !== undefined ? { password_hash: passwordHash, failed_logins: 0, locked_until: null } : {}),
      updated_at: now,
    });
    // A password reset or a disabled account ends every open session and revokes every API
    // token of that account, for good: enabling it again brings neither back.
    let apiTokensRevoked = 0;
    if (passwordHash !== undefined || changes.disabled === true) {
      await destroySessionsOf(trx, id);
      apiTokensRevoked = await revokeApiTokensOf(trx, id, now);
    }
    const summary = summarizeTechnician(row);
    const after = {
      ...auditView(summary),
      ...(passwordHash !== undefined ? { password: 'changed' } : {}),
      ...(apiTokensRevoked > 0 ? { apiTokensRevoked } : {}),
    };
    await recordAudit(trx, {
      actor,
      action: 'technician.update',
      subjectType: 'technician',
      subjectId: id,
      before: auditView(summarizeTechnician(before)),
      after,
      requestId,
      at: now,
    });
    return summary;
  });
}

function auditView(summary: TechnicianSummary) {
  return {
    username: summary.username,
    email: summary.email,
    displayName: summary.displayName,
    role: summary.role,
    disabled: summary.disabled,
  };
}
