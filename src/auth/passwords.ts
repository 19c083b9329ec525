// Passwords: argon2id with OWASP's minimum parameters (19 MiB, 2 iterations, 1 lane:
// https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html), which
// keeps a sign-in around 30 ms on a small server. Hashes carry their parameters, so raising
// them later re-hashes on the next successful sign-in (needsRehash).
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

/** Length is what makes a password strong; no composition rules (NIST SP 800-63B). */
export function checkPasswordPolicy(password: string, username: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new BadInput(`The password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new BadInput(`The password must have at most ${MAX_PASSWORD_LENGTH} characters.`);
  if (password.toLowerCase() === username.toLowerCase()) throw new BadInput('The password must not be the username.');
}

/** A hash of a random password, verified when the username does not exist so that both cases take as long. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(`decoy-${Math.random()}-${Date.now()}`);
  return decoyHash;
}
