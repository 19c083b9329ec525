// Passwords: argon2id with OWASP's minimum parameters (19 MiB, 2 iterations, 1 lane:
// https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html), which
// keeps a sign-in around 30 ms on a small server. Hashes carry their parameters, so raising
// them later re-hashes on the next successful sign-in (needsRehash).
import { readFileSync } from 'node:fs';
import argon2 from 'argon2';
import { BadInput } from '../errors.ts';

const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

export function passwordNeedsRehash(hash: string): boolean {
  try {
    return argon2.needsRehash(hash, OPTIONS);
  } catch {
    return true;
  }
}

/** Fewer different characters than this ("aaaaaaaaaaaa", "abababababab") is not a password. */
const MIN_DISTINCT_CHARACTERS = 4;

let commonPasswords: Set<string> | undefined;
/** The bundled list (common-passwords.txt), read once on first use. */
function commonPasswordList(): Set<string> {
  commonPasswords ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return commonPasswords;
}

/**
 * Whether the password is a common one, or a common one dressed up: surrounded by digits and
 * symbols ("Password2024!"), or repeated ("dragondragon"). Case and spaces do not count.
 */
export function isCommonPassword(password: string): boolean {
  const list = commonPasswordList();
  const squeezed = password.toLowerCase().replace(/\s+/g, '');
  if (list.has(squeezed)) return true;
  const core = squeezed.replace(/^[\d\W_]+|[\d\W_]+$/g, '');
  if (core.length >= 4 && list.has(core)) return true;
  const repeated = /^(.+?)\1+$/.exec(core)?.[1];
  return repeated !== undefined && (repeated.length < 4 || list.has(repeated));
}

/**
 * Length is what makes a password strong; no composition rules (NIST SP 800-63B, 5.1.1.2), but
 * a password found on a list of common ones, or nearly all one character, is refused.
 */
export function checkPasswordPolicy(password: string, username: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new BadInput(`The password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new BadInput(`The password must have at most ${MAX_PASSWORD_LENGTH} characters.`);
  if (password.trim() === '') throw new BadInput('The password must not be only spaces.');
  if (new Set(password).size < MIN_DISTINCT_CHARACTERS)
    throw new BadInput(`The password must use at least ${MIN_DISTINCT_CHARACTERS} different characters.`);
  const login = username.trim().toLowerCase();
  const plain = password.toLowerCase().replace(/\s+/g, '');
  if (login && (login.length >= 4 ? plain.includes(login) : plain === login))
    throw new BadInput('The password must not contain the username.');
  if (isCommonPassword(password))
    throw new BadInput(
      'This password is on a list of common passwords that attackers try first: choose another (a few unrelated words make a good one).',
    );
}

/** A hash of a random password, verified when the username does not exist so that both cases take as long. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(`decoy-${Math.random()}-${Date.now()}`);
  return decoyHash;
}
