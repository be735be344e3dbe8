import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A temp file older than this is a crash's leftover (an upload takes seconds). */
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * The encrypted files under `<dataDir>/attachments/<shard>/<id>`, where the
 * shard is the id's first two hex digits (256 directories keep listings
 * short). Only ciphertext is ever written. A file appears whole or not at
 * all: it is written and fsynced under `tmp/`, renamed into place, and the
 * directory is fsynced.
 */
export class BlobStore {
  readonly root: string;
  private readonly temp: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'attachments');
    this.temp = join(this.root, 'tmp');
  }

  /**
   * Creates the directories and drops temp files a crash left behind. Only
   * old ones: another hub process may share this data directory.
   */
  async open(): Promise<void> {
    await mkdir(this.temp, { recursive: true, mode: 0o700 });
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of await readdir(this.temp)) {
      const path = join(this.temp, name);
      const info = await stat(path).catch(() => null);
      if (info && info.mtimeMs < cutoff) await rm(path, { force: true });
    }
  }

  /** The storage key (path relative to the root) of attachment `id`. */
  keyOf(id: string): string {
    return `${id.slice(0, 2)}/${id}`;
  }

  /** Writes `bytes` durably under `key`. */
  async write(key: string, bytes: Buffer): Promise<void> {
    const target = join(this.root, key);
    const dir = join(target, '..');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = join(this.temp, randomBytes(8).toString('hex'));
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  read(key: string): Promise<Buffer> {
    return readFile(join(this.root, key));
  }

  /** Removes the file under `key`; a missing file is not an error. */
  async remove(key: string): Promise<void> {
    await rm(join(this.root, key), { force: true });
  }
}
