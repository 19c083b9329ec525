// Secrets at rest (client secrets, refresh tokens): AES-256-GCM with a key id in every
// sealed value, so keys can rotate: new values use the current key, old ones still open
// with the previous keys listed in config.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const FORMAT = 'v1';

export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** True when the value was sealed with an older key and should be re-sealed. */
  needsRotation(sealed: string): boolean;
}

export class SecretUnreadable extends Error {
  constructor(reason: string) {
    super(`a stored secret cannot be read: ${reason}`);
    this.name = 'SecretUnreadable';
  }
}

export function createSecretBox(current: { id: string; key: Buffer }, previous: Record<string, Buffer> = {}): SecretBox {
  if (current.key.length !== 32) throw new Error('the encryption key must be 32 bytes');
  const keys = new Map<string, Buffer>(Object.entries(previous));
  keys.set(current.id, current.key);

  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      // The key id is authenticated too: a value cannot be replayed under another key id.
      cipher.setAAD(Buffer.from(current.id));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${FORMAT}:${current.id}:${iv.toString('base64')}:${body.toString('base64')}`;
    },
    open(sealed) {
      const [format, keyId, ivText, bodyText] = sealed.split(':');
      if (format !== FORMAT || !keyId || !ivText || !bodyText) throw new SecretUnreadable('unknown format');
      const key = keys.get(keyId);
      if (!key) throw new SecretUnreadable(`it was sealed with key "${keyId}", which is not configured (secrets.previousKeys)`);
      const body = Buffer.from(bodyText, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64'));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(body.subarray(body.length - 16));
      try {
        return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretUnreadable(`key "${keyId}" does not open it (wrong key or tampered value)`);
      }
    },
    needsRotation(sealed) {
      return sealed.split(':')[1] !== current.id;
    },
  };
}
