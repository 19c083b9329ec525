// Where the encryption key comes from: configuration, or (embedded database only) a key
// file generated once into the data directory with mode 0600.
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config.ts';
import { ConfigError } from '../config.ts';
import { createSecretBox, type SecretBox } from './secret-box.ts';

export const KEY_FILE_NAME = 'encryption.key';

export function secretBoxFromConfig(config: Config): SecretBox {
  const previous = Object.fromEntries(Object.entries(config.secrets.previousKeys).map(([id, key]) => [id, Buffer.from(key, 'base64')]));
  if (config.secrets.encryptionKey) {
    return createSecretBox({ id: config.secrets.keyId, key: Buffer.from(config.secrets.encryptionKey, 'base64') }, previous);
  }
  if (config.database.url) {
    throw new ConfigError(
      'secrets.encryptionKey',
      'a Postgres database needs an encryption key shared by every process: set DOCSYNC_ENCRYPTION_KEY (openssl rand -base64 32)',
    );
  }
  if (config.database.dataDir.startsWith('memory://')) {
    return createSecretBox({ id: config.secrets.keyId, key: randomBytes(32) }, previous);
  }
  return createSecretBox({ id: config.secrets.keyId, key: embeddedKey(config.database.dataDir) }, previous);
}

function embeddedKey(dataDir: string): Buffer {
  // Beside, not inside, PGlite's own directory: PGlite owns the contents of dataDir.
  const file = path.join(path.dirname(path.resolve(dataDir)), KEY_FILE_NAME);
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new ConfigError('secrets.encryptionKey', `${file} does not hold 32 bytes in base64`);
    return key;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}
