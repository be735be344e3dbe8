import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { createFiles } from '../src/modules/files/index.js';
import { loadOrCreateKey } from '../src/modules/files/files.key.js';
import { eachDatabase } from './support/databases.js';
import { docx, pdf, png } from './support/files-fixtures.js';
import { Api } from './support/http.js';
import { startTestHub, type TestHub } from './support/hub.js';

type U = { id: string; token: string };
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** The encrypted files under `<dataDir>/attachments` (temp files excluded). */
function storedFiles(dataDir: string): string[] {
  const root = join(dataDir, 'attachments');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => d !== 'tmp')
    .flatMap((d) => readdirSync(join(root, d)).map((f) => join(root, d, f)));
}

/** Helpers bound to one test hub. */
function client(t: TestHub) {
  const api = () => new Api(t.hub.url());
  return {
    async group(owner: U, members: U[]): Promise<string> {
      const r = await api().post(
        '/api/v1/conversations',
        { kind: 'group', title: 'Консилиум', memberIds: members.map((m) => m.id) },
        { token: owner.token },
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as string;
    },
    upload(
      u: U,
      conversationId: string,
      bytes: Buffer,
      name?: string,
      type = 'application/octet-stream',
    ) {
      const query = name === undefined ? '' : `?name=${encodeURIComponent(name)}`;
      return api().request('POST', `/api/v1/conversations/${conversationId}/attachments${query}`, {
        token: u.token,
        rawBody: bytes,
        headers: { 'content-type': type },
      });
    },
    async download(u: U, id: string) {
      const res = await fetch(`${t.hub.url()}/api/v1/attachments/${id}`, {
        headers: { authorization: `Bearer ${u.token}` },
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      return { status: res.status, headers: res.headers, bytes };
    },
    async rows(conversationId: string): Promise<number> {
      const q = t.kind === 'postgres' ? '$1' : '?';
      const r = await t.hub.internals.db.manager.query(
        `SELECT COUNT(*) AS n FROM attachment WHERE conversation_id = ${q}`,
        [conversationId],
      );
      return Number(r[0].n);
    },
    async audit(action: string, targetId?: string): Promise<any[]> {
      const target = targetId ? `&targetId=${targetId}` : '';
      const r = await api().get(`/api/v1/audit?action=${action}${target}&limit=500`, {
        token: t.admin.token,
      });
      return r.body.items as any[];
    },
  };
}

/** A second files module over the test hub's database and data dir, for the store API. */
async function directStore(t: TestHub) {
  const files = createFiles({
    db: t.hub.internals.db,
    audit: t.hub.internals.audit,
    clock: t.clock,
    config: t.hub.config,
    log: t.hub.log,
    access: { isMember: async () => true },
  });
  await files.module.start!();
  return files;
}

eachDatabase('attachments', (kind) => {
  let t: TestHub;
  let c: ReturnType<typeof client>;
  let a: U, b: U, outsider: U;
  let conv: string;
  before(async () => {
    t = await startTestHub(kind, { logLevel: 'debug' });
    c = client(t);
    [a, b, outsider] = [await t.makeUser(), await t.makeUser(), await t.makeUser()];
    conv = await c.group(a, [b]);
  });
  after(async () => t.close());

  const samples: [string, () => Buffer, string, string][] = [
    ['PNG', () => png('KS-MARKER-PNG-7f3a'), 'image/png', 'Рентген грудной клетки.png'],
    ['PDF', () => pdf('KS-MARKER-PDF-7f3a'), 'application/pdf', 'Выписка Иванова.pdf'],
    ['DOCX', () => docx('KS-MARKER-DOCX-7f3a'), DOCX, 'Протокол консилиума.docx'],
  ];
  for (const [what, make, type, name] of samples) {
    it(`a ${what} round-trips: 201 with the sniffed type, the member downloads the same bytes with safe headers`, async () => {
      const bytes = make();
      const up = await c.upload(a, conv, bytes, name);
      assert.equal(up.status, 201, JSON.stringify(up.body));
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      assert.deepEqual(
        { ...up.body, id: undefined, createdAt: undefined },
        {
          id: undefined,
          createdAt: undefined,
          name,
          contentType: type,
          size: bytes.length,
          sha256,
          // The 1×1 PNG gets a thumbnail (files-thumbnail.int.test.ts); the others cannot.
          thumbnail: type === 'image/png',
        },
      );
      const down = await c.download(a, up.body.id);
      assert.equal(down.status, 200);
      assert.deepEqual(down.bytes, bytes);
      assert.equal(down.headers.get('content-type'), type);
      assert.equal(down.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(down.headers.get('cache-control'), 'private, no-store');
      const disposition = down.headers.get('content-disposition')!;
      assert.ok(disposition.startsWith(type.startsWith('image/') ? 'inline;' : 'attachment;'));
      assert.ok(disposition.endsWith(`filename*=UTF-8''${encodeURIComponent(name)}`), disposition);
      // Other members of the conversation may read it once it is sent; here: the uploader's own draft.
      const [row] = await c.audit('files.upload', up.body.id);
      assert.equal(row.actorId, a.id);
      assert.deepEqual(row.details, {
        conversationId: conv,
        contentType: type,
        size: bytes.length,
        sha256,
      });
      const surname = name.split(' ')[1]!.split('.')[0]!;
      assert.ok(!JSON.stringify(row).includes(surname), 'the audit row holds no file name');
      assert.ok(!t.logs.join('').includes(surname), 'no log line holds the file name');
    });
  }

  it('stores only ciphertext: every file starts with KSA1 and holds none of the plaintext markers', async () => {
    const files = storedFiles(t.dataDir);
    assert.ok(files.length >= 3, `files on disk: ${files.length}`);
    for (const f of files) {
      const stored = readFileSync(f);
      assert.equal(stored.subarray(0, 4).toString('latin1'), 'KSA1', f);
      assert.equal(stored.indexOf('KS-MARKER-'), -1, `${f} holds plaintext`);
      assert.equal(stored.indexOf('word/document.xml'), -1, `${f} holds plaintext`);
    }
    assert.equal(statSync(files[0]!).mode & 0o077, 0, 'files are private to the hub');
  });

  it('creates the key file: 32 bytes, mode 0600, in a 0700 directory', () => {
    const key = join(t.dataDir, 'keys', 'attachments.key');
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.equal(statSync(key).size, 32);
    assert.equal(statSync(join(t.dataDir, 'keys')).mode & 0o777, 0o700);
  });

  it('another member cannot download an upload not yet sent (404); the uploader can', async () => {
    const up = await c.upload(a, conv, png());
    const other = await c.download(b, up.body.id);
    assert.equal(other.status, 404);
    assert.equal(JSON.parse(other.bytes.toString()).error.code, 'files.not_found');
    assert.equal((await c.download(a, up.body.id)).status, 200);
  });

  it('a non-member can neither upload (403, nothing stored) nor download (403)', async () => {
    const before = { rows: await c.rows(conv), files: storedFiles(t.dataDir).length };
    const up = await c.upload(outsider, conv, png('KS-OUTSIDER'));
    assert.equal(up.status, 403);
    assert.equal(up.body.error.code, 'messaging.not_member');
    assert.deepEqual({ rows: await c.rows(conv), files: storedFiles(t.dataDir).length }, before);
    const mine = await c.upload(a, conv, png());
    const down = await c.download(outsider, mine.body.id);
    assert.equal(down.status, 403);
    assert.equal(JSON.parse(down.bytes.toString()).error.code, 'messaging.not_member');
    const unknownConv = await c.upload(a, randomUUID(), png());
    assert.equal(unknownConv.status, 403);
  });

  it('ignores the client Content-Type: PNG bytes sent as application/pdf are stored as image/png', async () => {
    const up = await c.upload(a, conv, png(), 'scan.pdf', 'application/pdf');
    assert.equal(up.status, 201);
    assert.equal(up.body.contentType, 'image/png');
    assert.equal(up.body.name, 'scan.pdf.png', 'the extension follows the bytes');
    assert.equal((await c.download(a, up.body.id)).headers.get('content-type'), 'image/png');
  });

  it('refuses an executable and random bytes with 415 files.unsupported_type; nothing stored', async () => {
    const before = { rows: await c.rows(conv), files: storedFiles(t.dataDir).length };
    const exe = Buffer.concat([
      Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'),
      Buffer.alloc(200),
    ]);
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    for (const [bytes, type] of [
      [exe, 'image/png'],
      [random, 'application/pdf'],
    ] as const) {
      const up = await c.upload(a, conv, bytes, 'photo.png', type);
      assert.equal(up.status, 415, JSON.stringify(up.body));
      assert.equal(up.body.error.code, 'files.unsupported_type');
    }
    assert.deepEqual({ rows: await c.rows(conv), files: storedFiles(t.dataDir).length }, before);
  });

  it('refuses an empty body (400 files.empty) and an overlong name (400 files.invalid_name)', async () => {
    const empty = await c.upload(a, conv, Buffer.alloc(0));
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'files.empty');
    const long = await c.upload(a, conv, png(), `${'x'.repeat(300)}.png`);
    assert.equal(long.status, 400);
    assert.equal(long.body.error.code, 'files.invalid_name');
    assert.equal(long.body.error.field, 'name');
  });

  it('an unknown attachment is 404 files.not_found; a malformed id 400', async () => {
    const res = await c.download(a, randomUUID());
    assert.equal(res.status, 404);
    assert.equal(JSON.parse(res.bytes.toString()).error.code, 'files.not_found');
    assert.equal((await c.download(a, 'not-a-uuid')).status, 400);
  });

  it('a file tampered with on disk answers 500 internal.error, no byte of it, and is logged', async () => {
    const up = await c.upload(a, conv, pdf('KS-TAMPER'));
    const file = join(t.dataDir, 'attachments', up.body.id.slice(0, 2), up.body.id);
    const stored = readFileSync(file);
    stored[40]! ^= 0x01;
    writeFileSync(file, stored);
    const res = await c.download(a, up.body.id);
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(JSON.parse(res.bytes.toString()).error.code, 'internal.error');
    assert.equal(res.bytes.indexOf('%PDF'), -1);
    assert.ok(t.logs.some((l) => l.includes('failed authentication') && l.includes(up.body.id)));
  });

  describe('the attachment store messaging uses', () => {
    let files: Awaited<ReturnType<typeof directStore>>;
    before(async () => (files = await directStore(t)));
    after(async () => files.module.stop!());

    it('check passes for own unclaimed uploads of the conversation, else files.not_found at attachmentIds.N', async () => {
      const [x, y] = [
        (await c.upload(a, conv, png())).body.id,
        (await c.upload(a, conv, pdf())).body.id,
      ];
      const bs = (await c.upload(b, conv, png())).body.id;
      await files.attachments.check([x, y], conv, a.id);
      await files.attachments.check([], conv, a.id);
      const failsAt = async (
        ids: string[],
        convId: string,
        user: string,
        field: string,
        code = 'files.not_found',
      ) =>
        assert.rejects(
          files.attachments.check(ids, convId, user),
          (e: any) => e.code === code && e.field === field,
        );
      await failsAt([x, bs], conv, a.id, 'attachmentIds.1'); // another uploader's
      await failsAt([randomUUID()], conv, a.id, 'attachmentIds.0'); // unknown
      await failsAt([x], await c.group(a, [b]), a.id, 'attachmentIds.0'); // another conversation
      await failsAt([x, x], conv, a.id, 'attachmentIds.1', 'validation.invalid'); // twice
    });

    it('claim attaches inside the caller transaction; a second claim fails and rolls back; forMessages lists them', async () => {
      const db = t.hub.internals.db;
      const [x, y, z] = [
        (await c.upload(a, conv, png())).body,
        (await c.upload(a, conv, pdf())).body,
        (await c.upload(a, conv, docx())).body,
      ];
      const m1 = randomUUID();
      const m2 = randomUUID();
      await db.transaction((tx) => files.attachments.claim(tx, [x.id, y.id], m1));
      await assert.rejects(files.attachments.check([x.id], conv, a.id), /./);
      await assert.rejects(
        db.transaction((tx) => files.attachments.claim(tx, [z.id, x.id], m2)),
        (e: any) => e.code === 'files.not_found',
      );
      await files.attachments.check([z.id], conv, a.id); // rolled back: still unclaimed
      const map = await files.attachments.forMessages([m1, m2, randomUUID()]);
      assert.deepEqual([...map.keys()], [m1]);
      assert.deepEqual(
        map
          .get(m1)!
          .map((v) => v.id)
          .sort(),
        [x.id, y.id].sort(),
      );
      assert.deepEqual(Object.keys(map.get(m1)![0]!).sort(), ['contentType', 'id', 'name', 'size']);
      // Once sent, every member may download it.
      assert.equal((await c.download(b, x.id)).status, 200);
    });
  });

  it('after a hub restart the key is loaded, not recreated: old attachments still download', async () => {
    const up = await c.upload(a, conv, pdf('KS-RESTART'));
    const keyBefore = readFileSync(join(t.dataDir, 'keys', 'attachments.key'));
    await t.hub.stop();
    await t.hub.start();
    assert.deepEqual(readFileSync(join(t.dataDir, 'keys', 'attachments.key')), keyBefore);
    const down = await c.download(a, up.body.id);
    assert.equal(down.status, 200);
    assert.ok(down.bytes.includes('KS-RESTART'));
  });
});

eachDatabase('attachment size limit', (kind) => {
  let t: TestHub;
  before(async () => (t = await startTestHub(kind, { maxAttachmentBytes: 2048 })));
  after(async () => t.close());

  it('an upload over maxAttachmentBytes is 413 files.too_large with the limit, and nothing is stored', async () => {
    const c = client(t);
    const u = await t.makeUser();
    const conv = await c.group(u, [await t.makeUser()]);
    const big = Buffer.concat([png(), Buffer.alloc(4096, 0x20)]);
    const res = await c.upload(u, conv, big, 'big.png');
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'files.too_large');
    assert.equal(res.body.error.details.limit, 2048);
    assert.equal(await c.rows(conv), 0);
    assert.deepEqual(storedFiles(t.dataDir), []);
    const fits = Buffer.from('a'.repeat(2048));
    assert.equal((await c.upload(u, conv, fits)).status, 201, 'exactly the limit is accepted');
  });
});

eachDatabase('purge of unclaimed attachments', (kind) => {
  let t: TestHub;
  before(async () => (t = await startTestHub(kind, { sessionIdleSeconds: 7 * 24 * 3600 })));
  after(async () => t.close());

  it('removes uploads unclaimed for over 24 h (rows, files, one audit row) and keeps newer and claimed ones', async () => {
    const c = client(t);
    const u = await t.makeUser();
    const conv = await c.group(u, [await t.makeUser()]);
    const files = await directStore(t);
    try {
      const old = (await c.upload(u, conv, png())).body;
      const sent = (await c.upload(u, conv, pdf())).body;
      await t.hub.internals.db.transaction((tx) =>
        files.attachments.claim(tx, [sent.id], randomUUID()),
      );
      t.clock.advance(23 * 3600 * 1000);
      const recent = (await c.upload(u, conv, docx())).body;
      assert.equal(await files.purgeUnclaimed(), 0, 'nothing is 24 h old yet');
      t.clock.advance(2 * 3600 * 1000);
      assert.equal(await files.purgeUnclaimed(), 1);
      assert.equal(await c.rows(conv), 2);
      const left = storedFiles(t.dataDir)
        .map((f) => f.split('/').pop())
        .sort();
      assert.deepEqual(left, [sent.id, recent.id].sort());
      const [row] = await c.audit('files.purge');
      assert.equal(row.actorId, null);
      assert.deepEqual(row.details.attachmentIds, [old.id]);
      assert.equal((await c.download(u, old.id)).status, 404);
      assert.equal(await files.purgeUnclaimed(), 0, 'a second run finds nothing');
    } finally {
      await files.module.stop!();
    }
  });
});

describe('attachment key file', () => {
  let dir: string;
  let lines: string[];
  const log = () =>
    pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _e, cb) {
          lines.push(chunk.toString());
          cb();
        },
      }),
    );
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'konsilium-key-'));
    lines = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start when the key file has the wrong length, and leaves it alone', () => {
    mkdirSync(join(dir, 'keys'), { mode: 0o700 });
    writeFileSync(join(dir, 'keys', 'attachments.key'), Buffer.alloc(31, 1), { mode: 0o600 });
    assert.throws(() => loadOrCreateKey(dir, log()), /31 bytes, expected 32/);
    assert.equal(statSync(join(dir, 'keys', 'attachments.key')).size, 31);
  });

  it('warns when the key file is readable by others, and still loads it', () => {
    mkdirSync(join(dir, 'keys'), { mode: 0o700 });
    const file = join(dir, 'keys', 'attachments.key');
    writeFileSync(file, Buffer.alloc(32, 7));
    chmodSync(file, 0o644);
    assert.deepEqual(loadOrCreateKey(dir, log()), Buffer.alloc(32, 7));
    assert.ok(lines.some((l) => l.includes('"level":40') && l.includes('chmod 600')));
    assert.ok(!lines.some((l) => l.includes(Buffer.alloc(32, 7).toString('hex'))));
  });

  it('creates the key once and returns the same key afterwards', () => {
    const first = loadOrCreateKey(dir, log());
    assert.equal(first.length, 32);
    assert.deepEqual(loadOrCreateKey(dir, log()), first);
    assert.deepEqual(readdirSync(join(dir, 'keys')), ['attachments.key'], 'no temp file left');
  });
});
