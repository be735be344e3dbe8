import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenStore, type SafeStorageLike } from '../../src/main/session/token-store.js';

const TOKEN = 'ks_sess_4f1c2a9e7b6d5c3a1f0e9d8c7b6a5f4e';

/** Stands in for the OS keychain: XOR with a key the file never contains, plus a marker. */
class FakeSafeStorage implements SafeStorageLike {
  calls: string[] = [];
  constructor(
    private readonly backend = 'gnome_libsecret',
    private readonly available = true,
  ) {}
  isEncryptionAvailable(): boolean {
    this.calls.push('isEncryptionAvailable');
    return this.available;
  }
  encryptString(plain: string): Buffer {
    this.calls.push('encryptString');
    return Buffer.concat([Buffer.from('v10'), Buffer.from(plain).map((b) => b ^ 0x5a)]);
  }
  decryptString(sealed: Buffer): string {
    this.calls.push('decryptString');
    if (sealed.subarray(0, 3).toString() !== 'v10') throw new Error('bad ciphertext');
    return Buffer.from(sealed.subarray(3).map((b) => b ^ 0x5a)).toString();
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
}

/** A newer Electron with the async API (reports shouldReEncrypt once). */
class FakeAsyncSafeStorage extends FakeSafeStorage {
  reEncrypt = true;
  async isAsyncEncryptionAvailable(): Promise<boolean> {
    this.calls.push('isAsyncEncryptionAvailable');
    return true;
  }
  async encryptStringAsync(plain: string): Promise<Buffer> {
    this.calls.push('encryptStringAsync');
    return this.encryptString(plain);
  }
  async decryptStringAsync(sealed: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    this.calls.push('decryptStringAsync');
    const r = { result: this.decryptString(sealed), shouldReEncrypt: this.reEncrypt };
    this.reEncrypt = false;
    return r;
  }
}

describe('desktop credentials: TokenStore over safeStorage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ks-token-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores only the encrypted token and reads it back in a new process (sync API)', async () => {
    const safe = new FakeSafeStorage();
    assert.equal(await new TokenStore(safe, dir, 'win32').save(TOKEN), 'keychain');
    const onDisk = await readFile(join(dir, 'session.bin'));
    assert.ok(!onDisk.toString('latin1').includes(TOKEN), 'the file holds no plaintext');
    assert.equal(await new TokenStore(safe, dir, 'win32').load(), TOKEN);
    assert.ok(safe.calls.includes('encryptString') && safe.calls.includes('decryptString'));
  });

  it('prefers the async API when Electron has it, and re-encrypts when asked', async () => {
    const safe = new FakeAsyncSafeStorage();
    await new TokenStore(safe, dir, 'darwin').save(TOKEN);
    safe.calls = [];
    assert.equal(await new TokenStore(safe, dir, 'darwin').load(), TOKEN);
    assert.deepEqual(
      safe.calls.filter((c) => c.includes('Async')),
      [
        'isAsyncEncryptionAvailable',
        'decryptStringAsync',
        'isAsyncEncryptionAvailable',
        'encryptStringAsync',
      ],
    );
    assert.ok(
      !safe.calls.includes('encryptString') || safe.calls.indexOf('encryptStringAsync') >= 0,
    );
  });

  it('on Linux with the basic_text backend keeps the token in memory only and writes nothing', async () => {
    const warnings: unknown[] = [];
    const store = new TokenStore(new FakeSafeStorage('basic_text'), dir, 'linux', {
      warn: (f) => warnings.push(f),
    });
    assert.equal(await store.save(TOKEN), 'memory');
    assert.equal(await store.load(), TOKEN, 'usable for this run');
    await assert.rejects(readFile(join(dir, 'session.bin')), { code: 'ENOENT' });
    assert.equal(
      await new TokenStore(new FakeSafeStorage('basic_text'), dir, 'linux').load(),
      null,
    );
    assert.deepEqual(warnings, [{ reason: 'linux backend basic_text' }]);
    assert.ok(!JSON.stringify(warnings).includes(TOKEN));
  });

  it('refuses a file written earlier when the Linux backend is now basic_text', async () => {
    await new TokenStore(new FakeSafeStorage('kwallet5'), dir, 'linux').save(TOKEN);
    assert.equal(
      await new TokenStore(new FakeSafeStorage('basic_text'), dir, 'linux').load(),
      null,
    );
  });

  it('keeps the token in memory when encryption is unavailable', async () => {
    const store = new TokenStore(new FakeSafeStorage('gnome_libsecret', false), dir, 'win32');
    assert.equal(await store.save(TOKEN), 'memory');
    await assert.rejects(readFile(join(dir, 'session.bin')), { code: 'ENOENT' });
  });

  it('discards a corrupt file instead of failing', async () => {
    await writeFile(join(dir, 'session.bin'), 'garbage');
    assert.equal(await new TokenStore(new FakeSafeStorage(), dir, 'win32').load(), null);
    await assert.rejects(readFile(join(dir, 'session.bin')), { code: 'ENOENT' });
  });

  it('clear() (sign-out, remote revocation) wipes memory and disk', async () => {
    const store = new TokenStore(new FakeSafeStorage(), dir, 'win32');
    await store.save(TOKEN);
    await store.clear();
    assert.equal(await store.load(), null);
    await assert.rejects(readFile(join(dir, 'session.bin')), { code: 'ENOENT' });
  });
});
