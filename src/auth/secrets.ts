// Random secrets handed to people (session cookies, API tokens, setup links) and the hash we
// keep of them: only SHA-256 digests are stored, so a database leak hands out nothing live.
// A plain SHA-256 is enough here because the secrets are 256 random bits, not passwords.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function randomSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
