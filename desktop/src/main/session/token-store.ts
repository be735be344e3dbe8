/**
 * The one credential the workstation keeps: the device-bound session token,
 * encrypted with the OS keychain through Electron `safeStorage` and written to
 * `session.bin` in userData. Prefers the async API (`encryptStringAsync`) where
 * the Electron version has it, else the sync one. On Linux it refuses to
 * persist when safeStorage would fall back to a hard-coded key (`basic_text`):
 * the token then lives in memory only and the user signs in after a restart.
 */
import { readFile, rm, writeFile, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** The part of Electron's `safeStorage` we use; async members are optional (newer Electron). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend?(): string;
  isAsyncEncryptionAvailable?(): Promise<boolean>;
  encryptStringAsync?(plain: string): Promise<Buffer>;
  decryptStringAsync?(
    encrypted: Buffer,
  ): Promise<{ result: string; shouldReEncrypt?: boolean } | string>;
}

export type PersistMode = 'keychain' | 'memory';

export interface TokenStoreLog {
  warn(fields: Record<string, unknown>, msg: string): void;
}

export class TokenStore {
  private memory: string | null = null;
  private readonly file: string;

  constructor(
    private readonly safe: SafeStorageLike,
    dir: string,
    private readonly platform: NodeJS.Platform = process.platform,
    private readonly log?: TokenStoreLog,
  ) {
    this.file = join(dir, 'session.bin');
  }

  /** Whether tokens survive a restart here (false: memory only, with the reason). */
  async persistMode(): Promise<{ mode: PersistMode; reason?: string }> {
    if (this.platform === 'linux') {
      const backend = this.safe.getSelectedStorageBackend?.() ?? 'unknown';
      if (backend === 'basic_text' || backend === 'unknown') {
        return { mode: 'memory', reason: `linux backend ${backend}` };
      }
    }
    const available = this.safe.isAsyncEncryptionAvailable
      ? await this.safe.isAsyncEncryptionAvailable()
      : this.safe.isEncryptionAvailable();
    return available ? { mode: 'keychain' } : { mode: 'memory', reason: 'encryption unavailable' };
  }

  async save(token: string): Promise<PersistMode> {
    this.memory = token;
    const { mode, reason } = await this.persistMode();
    if (mode === 'memory') {
      this.log?.warn({ reason }, 'session token kept in memory only');
      await rm(this.file, { force: true });
      return mode;
    }
    const sealed = this.safe.encryptStringAsync
      ? await this.safe.encryptStringAsync(token)
      : this.safe.encryptString(token);
    await mkdir(join(this.file, '..'), { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, sealed, { mode: 0o600 });
    await rename(tmp, this.file);
    return mode;
  }

  /** The stored token, or null (none, or it cannot be decrypted: then the file is removed). */
  async load(): Promise<string | null> {
    if (this.memory) return this.memory;
    let sealed: Buffer;
    try {
      sealed = await readFile(this.file);
    } catch {
      return null;
    }
    if ((await this.persistMode()).mode === 'memory') return null;
    try {
      let token: string;
      if (this.safe.decryptStringAsync) {
        const r = await this.safe.decryptStringAsync(sealed);
        token = typeof r === 'string' ? r : r.result;
        if (typeof r !== 'string' && r.shouldReEncrypt) {
          this.memory = token;
          await this.save(token);
        }
      } else {
        token = this.safe.decryptString(sealed);
      }
      this.memory = token;
      return token;
    } catch {
      this.log?.warn({ reason: 'decrypt failed' }, 'stored session token discarded');
      await rm(this.file, { force: true });
      return null;
    }
  }

  /** Sign-out or remote revocation: forget the token everywhere. */
  async clear(): Promise<void> {
    this.memory = null;
    await rm(this.file, { force: true });
    await rm(`${this.file}.tmp`, { force: true });
  }
}
