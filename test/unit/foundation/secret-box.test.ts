import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, SecretUnreadable } from '../../../src/crypto/secret-box.ts';

describe('secret box', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('seals so the plaintext is not visible, and opens again', () => {
    const box = createSecretBox({ id: 'k1', key: oldKey });
    const sealed = box.seal('0.AAAA-refresh-token-value');
    expect(sealed).not.toContain('refresh-token-value');
    expect(sealed.startsWith('v1:k1:')).toBe(true);
    expect(box.open(sealed)).toBe('0.AAAA-refresh-token-value');
  });

  it('seals the same value differently each time', () => {
    const box = createSecretBox({ id: 'k1', key: oldKey });
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('opens values sealed with a previous key after rotation and flags them for re-sealing', () => {
    const before = createSecretBox({ id: 'k1', key: oldKey });
    const sealed = before.seal('client secret');
    const after = createSecretBox({ id: 'k2', key: newKey }, { k1: oldKey });
    expect(after.open(sealed)).toBe('client secret');
    expect(after.needsRotation(sealed)).toBe(true);
    expect(after.needsRotation(after.seal('x'))).toBe(false);
  });

  it('refuses a tampered value', () => {
    const box = createSecretBox({ id: 'k1', key: oldKey });
    const sealed = box.seal('secret');
    const parts = sealed.split(':');
    const body = Buffer.from(parts[3]!, 'base64');
    body[0] = body[0]! ^ 1;
    expect(() => box.open([...parts.slice(0, 3), body.toString('base64')].join(':'))).toThrow(SecretUnreadable);
  });

  it('says which key is missing', () => {
    const sealed = createSecretBox({ id: 'old', key: oldKey }).seal('secret');
    expect(() => createSecretBox({ id: 'k2', key: newKey }).open(sealed)).toThrow(/key "old", which is not configured/);
  });
});
