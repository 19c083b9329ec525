// Where the encryption key comes from: configuration, or (embedded database only) a key file
// generated once inside the data directory, created exclusively (O_EXCL) with mode 0600. A key
// file that others may read or write, that is a symbolic link, or that another user owns is
// refused: whoever can plant the key can read every secret sealed with it.
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
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

/** The embedded database's key file: inside its data directory. */
export function embeddedKeyFile(dataDir: string): string {
  return path.join(path.resolve(dataDir), KEY_FILE_NAME);
}

/** Where earlier versions kept it: beside the data directory. Moved inside on first start. */
export function legacyKeyFile(dataDir: string): string {
  return path.join(path.dirname(path.resolve(dataDir)), KEY_FILE_NAME);
}

export function embeddedKey(dataDir: string): Buffer {
  const file = embeddedKeyFile(dataDir);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (existsSync(file)) return readKeyFile(file);
  const legacy = legacyKeyFile(dataDir);
  if (existsSync(legacy)) {
    // An existing demo install keeps its secrets: the same key, moved inside.
    const key = readKeyFile(legacy);
    if (writeKeyFileExclusively(file, key)) unlinkSync(legacy);
    return readKeyFile(file);
  }
  const key = randomBytes(32);
  // Another process starting at the same moment may have won: then its key is the key.
  writeKeyFileExclusively(file, key);
  return readKeyFile(file);
}

/** Creates the key file with O_CREAT|O_EXCL and mode 0600; false when it exists already. */
function writeKeyFileExclusively(file: string, key: Buffer): boolean {
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readKeyFile(file: string): Buffer {
  if (lstatSync(file).isSymbolicLink()) {
    throw new ConfigError(
      'secrets.encryptionKey',
      `${file} is a symbolic link; the key file must be a regular file (remove the link, or set DOCSYNC_ENCRYPTION_KEY)`,
    );
  }
  // Checked on the opened file itself, so the file that is read is the file that was checked.
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ConfigError('secrets.encryptionKey', `${file} is not a regular file`);
    if (process.platform !== 'win32') {
      if ((stat.mode & 0o077) !== 0) {
        const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
        throw new ConfigError(
          'secrets.encryptionKey',
          `${file} has mode ${mode}: other users may read or change the key; run "chmod 600 ${file}" if the file is yours, or remove it`,
        );
      }
      const uid = process.getuid?.();
      if (uid !== undefined && uid !== 0 && stat.uid !== uid) {
        throw new ConfigError('secrets.encryptionKey', `${file} belongs to another user (uid ${stat.uid}); docsync runs as uid ${uid}`);
      }
    }
    const key = Buffer.from(readFileSync(fd, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new ConfigError('secrets.encryptionKey', `${file} does not hold 32 bytes in base64`);
    return key;
  } finally {
    closeSync(fd);
  }
}
