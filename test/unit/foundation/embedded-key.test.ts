// Issue 13, item 9: the embedded database's key file lives inside the data directory, is created
// exclusively with mode 0600, is refused when others may read it, and an existing demo install's
// key beside the data directory is moved inside so its secrets stay readable.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedKey } from '../../../src/crypto/keys.ts';

const made: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'docsync-key-'));
  made.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the embedded encryption key', () => {
  it('is generated once inside the data directory with mode 0600, and read back the same', () => {
    const dataDir = path.join(tempDir(), 'data');
    const first = embeddedKey(dataDir);
    const file = path.join(dataDir, 'encryption.key');
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect(existsSync(path.join(dataDir, '..', 'encryption.key'))).toBe(false);
    expect(embeddedKey(dataDir).equals(first)).toBe(true);
  });

  it('moves the key of an existing install from beside the data directory, so its secrets stay readable', () => {
    const root = tempDir();
    const dataDir = path.join(root, 'data');
    mkdirSync(dataDir);
    const oldKey = randomBytes(32);
    writeFileSync(path.join(root, 'encryption.key'), `${oldKey.toString('base64')}\n`, { mode: 0o600 });
    expect(embeddedKey(dataDir).equals(oldKey)).toBe(true);
    expect(readFileSync(path.join(dataDir, 'encryption.key'), 'utf8').trim()).toBe(oldKey.toString('base64'));
    expect((statSync(path.join(dataDir, 'encryption.key')).mode & 0o777).toString(8)).toBe('600');
    expect(existsSync(path.join(root, 'encryption.key'))).toBe(false);
  });

  it.skipIf(process.platform === 'win32')('refuses a key file that other users may read, naming the file and the fix', () => {
    const dataDir = path.join(tempDir(), 'data');
    embeddedKey(dataDir);
    const file = path.join(dataDir, 'encryption.key');
    chmodSync(file, 0o644);
    expect(() => embeddedKey(dataDir)).toThrow(/encryption\.key has mode 0644: other users may read or change the key; run "chmod 600/);
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a planted key beside the data directory with wider permissions, and writes nothing',
    () => {
      const root = tempDir();
      const dataDir = path.join(root, 'data');
      writeFileSync(path.join(root, 'encryption.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o666 });
      chmodSync(path.join(root, 'encryption.key'), 0o666);
      expect(() => embeddedKey(dataDir)).toThrow(/mode 0666/);
      expect(existsSync(path.join(dataDir, 'encryption.key'))).toBe(false);
    },
  );

  it.skipIf(process.platform === 'win32')('refuses a key file that is a symbolic link', () => {
    const root = tempDir();
    const dataDir = path.join(root, 'data');
    mkdirSync(dataDir);
    const elsewhere = path.join(root, 'elsewhere.key');
    writeFileSync(elsewhere, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    symlinkSync(elsewhere, path.join(dataDir, 'encryption.key'));
    expect(() => embeddedKey(dataDir)).toThrow(/symbolic link/);
  });
});
