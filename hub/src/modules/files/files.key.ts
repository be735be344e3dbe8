import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../platform/log/logger.js';
import { KEY_BYTES } from './files.crypto.js';

/** Where the attachment key lives, relative to the data directory. */
export const KEY_FILE = join('keys', 'attachments.key');

/** Creates `file` holding a new key, atomically: a crash never leaves a short key behind. */
function createKey(dir: string, file: string): boolean {
  const temp = join(dir, `.attachments.key.${randomBytes(6).toString('hex')}`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(KEY_BYTES));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(temp);
  }
}

/**
 * Loads the attachment key from `<dataDir>/keys/attachments.key`, creating it
 * (32 random bytes, mode 0600, in a 0700 directory) on first start. A key
 * file of the wrong length stops the hub: a new key would make every stored
 * attachment unreadable. A mode wider than 0600 is logged as a warning (the
 * operator may have reasons). The key is kept in memory only, never logged.
 */
export function loadOrCreateKey(dataDir: string, log: Logger): Buffer {
  const dir = join(dataDir, 'keys');
  const file = join(dataDir, KEY_FILE);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (createKey(dir, file)) {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    log.info({ file }, 'attachment key created');
  }
  const key = readFileSync(file);
  if (key.length !== KEY_BYTES) {
    key.fill(0);
    throw new Error(
      `attachment key ${file} has ${key.length} bytes, expected ${KEY_BYTES}; refusing to start (restore the original key file)`,
    );
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    log.warn(
      { file, mode: mode.toString(8) },
      'attachment key is accessible to others than its owner; chmod 600 it',
    );
  }
  return key;
}
