// Technician accounts: creation, sign-in with lockout, the first-run setup link, the demo
// login, and administration (role, disable, password reset). Every change is audited.
import { sql, type Kysely } from 'kysely';
import type { AppContext, Clock } from '../context.ts';
import type { Database, Technician, TechnicianRole } from '../db/schema.ts';
import { BadInput, Conflict, NotFound } from '../errors.ts';
import { recordAudit } from './audit.ts';
import { InvalidCredentials, LockedOut } from './errors.ts';
import { checkPasswordPolicy, decoyPasswordHash, hashPassword, passwordNeedsRehash, verifyPassword } from './passwords.ts';
import { destroySessionsOf } from './sessions.ts';
import { randomSecret, sha256Hex } from './secrets.ts';

/** After this many wrong passwords in a row the account is locked for LOCKOUT_MS. */
export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;
const SETUP_LINK_LIFETIME_MS = 24 * 60 * 60 * 1000;
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

export interface NewTechnicianInput {
  username: string;
  password: string;
  role: TechnicianRole;
  email?: string | null;
  displayName?: string | null;
}

export async function createTechnician({ db, clock }: AccountDeps, input: NewTechnicianInput, actor: Actor, requestId?: string): Promise<TechnicianSummary> {
  const username = input.username.trim();
  if (!USERNAME_PATTERN.test(username)) throw new BadInput('A username has 2 to 64 letters, digits, dots, dashes, underscores or @.');
  checkPasswordPolicy(input.password, username);
  const passwordHash = await hashPassword(input.password);
  return db.transaction().execute(async (trx) => {
    const taken = await trx.selectFrom('technicians').select('id').where(sql<string>`lower(username)`, '=', username.toLowerCase()).executeTakeFirst();
    if (taken) throw new Conflict(`The username "${username}" is taken.`);
    const now = clock.now();
    const row = await trx
      .insertInto('technicians')
      .values({ username, email: input.email ?? null, display_name: input.displayName ?? null, password_hash: passwordHash, role: input.role, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    const summary = summarizeTechnician(row);
    await recordAudit(trx, { actor, action: 'technician.create', subjectType: 'technician', subjectId: row.id, before: null, after: auditView(summary), requestId, at: now });
    return summary;
  });
}

/** Checks a username (or email) and password. Wrong passwords count towards a lockout. */
export async function authenticate({ db, clock }: AccountDeps, login: string, password: string): Promise<Technician> {
  const wanted = login.trim().toLowerCase();
  const row = await db
    .selectFrom('technicians')
    .selectAll()
    .where((eb) => eb.or([eb(sql<string>`lower(username)`, '=', wanted), eb(sql<string>`lower(email)`, '=', wanted)]))
    .orderBy(sql`lower(username) = ${wanted}`, 'desc')
    .executeTakeFirst();
  const now = clock.now();
  if (!row) {
    await verifyPassword(await decoyPasswordHash(), password);
    throw new InvalidCredentials();
  }
  if (row.locked_until && new Date(row.locked_until).getTime() > now.getTime()) {
    throw new LockedOut((new Date(row.locked_until).getTime() - now.getTime()) / 1000);
  }
  const ok = await verifyPassword(row.password_hash, password);
  if (!ok || row.disabled) {
    if (!ok) await recordFailedSignIn({ db, clock }, row);
    throw new InvalidCredentials();
  }
  const rehash = passwordNeedsRehash(row.password_hash) ? await hashPassword(password) : row.password_hash;
  // With a second factor still to come, the failure count stands until that is right too (mfa.ts).
  if (hasSecondFactor(row)) {
    if (rehash !== row.password_hash) await db.updateTable('technicians').set({ password_hash: rehash }).where('id', '=', row.id).execute();
    return row;
  }
  await recordSuccessfulSignIn({ db, clock }, row.id, rehash);
  return { ...row, failed_logins: 0, locked_until: null, last_login_at: now };
}

/**
 * One wrong password or second-factor code: counts towards the lockout, and throws LockedOut when
 * this one locks the account. The one place failures are counted (passwords and codes alike).
 */
export async function recordFailedSignIn(
  { db, clock }: AccountDeps,
  row: Pick<Technician, 'id' | 'failed_logins' | 'locked_until'>,
): Promise<void> {
  const now = clock.now();
  const failures = row.failed_logins + 1;
  const lock = failures >= MAX_FAILED_SIGN_INS;
  await db
    .updateTable('technicians')
    .set({ failed_logins: lock ? 0 : failures, locked_until: lock ? new Date(now.getTime() + LOCKOUT_MS) : row.locked_until, updated_at: now })
    .where('id', '=', row.id)
    .execute();
  if (lock) {
    const after = { lockedForMinutes: LOCKOUT_MS / 60_000 };
    await recordAudit(db, { actor: { id: null, label: 'docsync' }, action: 'technician.locked_out', subjectType: 'technician', subjectId: row.id, before: null, after, at: now });
    throw new LockedOut(LOCKOUT_MS / 1000);
  }
}

/** A completed sign-in (password, and the second factor where there is one): the failure count starts again. */
export async function recordSuccessfulSignIn({ db, clock }: AccountDeps, technicianId: string, passwordHash?: string): Promise<void> {
  await db
    .updateTable('technicians')
    .set({ failed_logins: 0, locked_until: null, last_login_at: clock.now(), ...(passwordHash ? { password_hash: passwordHash } : {}) })
    .where('id', '=', technicianId)
    .execute();
}

/** Whether an account has a confirmed second factor (a TOTP authenticator; passkeys later). */
export function hasSecondFactor(row: Pick<Technician, 'totp_confirmed_at'>): boolean {
  return row.totp_confirmed_at !== null;
}

export async function countTechnicians(db: Kysely<Database>): Promise<number> {
  const { count } = await db.selectFrom('technicians').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
  return Number(count);
}

/**
 * The one-time link that creates the first administrator, or null when an account exists.
 * `docsync serve` prints it at start; each call replaces the previous unused link.
 */
export async function firstRunSetupLink(ctx: Pick<AppContext, 'database' | 'clock'>, baseUrl: string): Promise<string | null> {
  const db = ctx.database.db;
  if ((await countTechnicians(db)) > 0) return null;
  const token = randomSecret();
  const now = ctx.clock.now();
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('setup_links').where('used_at', 'is', null).execute();
    await trx.insertInto('setup_links').values({ token_hash: sha256Hex(token), created_at: now, expires_at: new Date(now.getTime() + SETUP_LINK_LIFETIME_MS) }).execute();
  });
  return `${baseUrl.replace(/\/$/, '')}/setup?token=${encodeURIComponent(token)}`;
}

/** Whether a setup link token can still be used (shown before the form is filled in). */
export async function setupLinkUsable({ db, clock }: AccountDeps, token: string): Promise<boolean> {
  const row = await db.selectFrom('setup_links').selectAll().where('token_hash', '=', sha256Hex(token)).executeTakeFirst();
  return !!row && row.used_at === null && new Date(row.expires_at).getTime() > clock.now().getTime() && (await countTechnicians(db)) === 0;
}

/** Redeems a setup link: creates the first administrator, once. */
export async function completeSetup(deps: AccountDeps, token: string, input: Omit<NewTechnicianInput, 'role'>, requestId?: string): Promise<TechnicianSummary> {
  const { db, clock } = deps;
  const now = clock.now();
  const claimed = await db
    .updateTable('setup_links')
    .set({ used_at: now })
    .where('token_hash', '=', sha256Hex(token))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('token_hash')
    .executeTakeFirst();
  if (!claimed || (await countTechnicians(db)) > 0) {
    throw new NotFound('This setup link was used already or has expired.', 'Restart `docsync serve` for a new link, or sign in with the account that was created.');
  }
  return createTechnician(deps, { ...input, role: 'administrator' }, { id: null, label: 'setup link' }, requestId);
}

/**
 * The demo login: an administrator named "demo" with a fresh random password on every call
 * (the demo prints it; hashes cannot be read back, so the password is set anew).
 */
export async function ensureDemoTechnician(ctx: Pick<AppContext, 'database' | 'clock'>): Promise<{ username: string; password: string }> {
  const db = ctx.database.db;
  const password = randomSecret().slice(0, 20);
  const existing = await db.selectFrom('technicians').select('id').where(sql<string>`lower(username)`, '=', DEMO_USERNAME).executeTakeFirst();
  if (existing) {
    await db
      .updateTable('technicians')
      .set({ password_hash: await hashPassword(password), role: 'administrator', disabled: false, failed_logins: 0, locked_until: null, updated_at: ctx.clock.now() })
      .where('id', '=', existing.id)
      .execute();
  } else {
    await createTechnician({ db, clock: ctx.clock }, { username: DEMO_USERNAME, password, role: 'administrator', displayName: 'Demo technician' }, { id: null, label: 'demo' });
  }
  return { username: DEMO_USERNAME, password };
}

export async function listTechnicians(db: Kysely<Database>): Promise<TechnicianSummary[]> {
  const rows = await db.selectFrom('technicians').selectAll().orderBy(sql`lower(username)`).execute();
  return rows.map(summarizeTechnician);
}

export interface TechnicianChanges {
  role?: TechnicianRole;
  disabled?: boolean;
  displayName?: string | null;
  email?: string | null;
  password?: string;
}

export async function updateTechnician({ db, clock }: AccountDeps, id: string, changes: TechnicianChanges, actor: Actor, requestId?: string): Promise<TechnicianSummary> {
  const before = await db.selectFrom('technicians').selectAll().where('id', '=', id).executeTakeFirst();
  if (!before) throw new NotFound('No such technician.');
  if (changes.password !== undefined) checkPasswordPolicy(changes.password, before.username);
  const passwordHash = changes.password !== undefined ? await hashPassword(changes.password) : undefined;
  return db.transaction().execute(async (trx) => {
    if ((changes.role !== undefined && changes.role !== 'administrator') || changes.disabled === true) {
      if (before.role === 'administrator' && !before.disabled) {
        const admins = await trx.selectFrom('technicians').select('id').where('role', '=', 'administrator').where('disabled', '=', false).execute();
        if (admins.length <= 1) throw new Conflict('This is the last administrator: make someone else administrator first.');
      }
    }
    const now = clock.now();
    const row = await trx
      .updateTable('technicians')
      .set({
        ...(changes.role !== undefined ? { role: changes.role } : {}),
        ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
        ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
        ...(changes.email !== undefined ? { email: changes.email } : {}),
        ...(passwordHash !== undefined ? { password_hash: passwordHash, failed_logins: 0, locked_until: null } : {}),
        updated_at: now,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    // A new password or a disabled account ends every open session of that account.
    if (passwordHash !== undefined || changes.disabled === true) await destroySessionsOf(trx, id);
    const summary = summarizeTechnician(row);
    const after = { ...auditView(summary), ...(passwordHash !== undefined ? { password: 'changed' } : {}) };
    await recordAudit(trx, { actor, action: 'technician.update', subjectType: 'technician', subjectId: id, before: auditView(summarizeTechnician(before)), after, requestId, at: now });
    return summary;
  });
}

function auditView(summary: TechnicianSummary) {
  return { username: summary.username, email: summary.email, displayName: summary.displayName, role: summary.role, disabled: summary.disabled };
}
