import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { eachDatabase } from './support/databases.js';
import { Api } from './support/http.js';
import { startTestHub, type TestHub } from './support/hub.js';

type U = { id: string; token: string };

/** A real JPEG of w×h with a colour gradient. */
function jpegOf(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = (i % width) % 256;
    data[i * 4 + 1] = Math.floor(i / width) % 256;
    data[i * 4 + 2] = 128;
    data[i * 4 + 3] = 255;
  }
  return Buffer.from(jpeg.encode({ width, height, data }, 90).data);
}

/** A real PNG of w×h, half transparent. */
function pngOf(width: number, height: number): Buffer {
  const img = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    img.data[i * 4] = 200;
    img.data[i * 4 + 1] = 10;
    img.data[i * 4 + 2] = 10;
    img.data[i * 4 + 3] = i % 2 ? 255 : 0;
  }
  return PNG.sync.write(img);
}

/** A PNG whose header claims `width`×`height` (the pixel data is one short row). */
function hugePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, data, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(16))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

eachDatabase('attachment thumbnails', (kind) => {
  let t: TestHub;
  let a: U, b: U, outsider: U;
  let conv: string;
  before(async () => {
    t = await startTestHub(kind);
    [a, b, outsider] = [await t.makeUser(), await t.makeUser(), await t.makeUser()];
    const r = await t.api.post(
      '/api/v1/conversations',
      { kind: 'group', title: 'Снимки', memberIds: [b.id] },
      { token: a.token },
    );
    conv = r.body.id as string;
  });
  after(async () => t.close());

  const api = () => new Api(t.hub.url());
  const upload = (bytes: Buffer, name: string) =>
    api().request('POST', `/api/v1/conversations/${conv}/attachments?name=${name}`, {
      token: a.token,
      rawBody: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
  const thumb = (u: U, id: string) =>
    fetch(`${t.hub.url()}/api/v1/attachments/${id}/thumbnail`, {
      headers: { authorization: `Bearer ${u.token}` },
    });
  const sendWith = async (id: string) => {
    const r = await t.api.post(
      `/api/v1/conversations/${conv}/messages`,
      { id: randomUUID(), text: 'снимок', attachmentIds: [id] },
      { token: a.token },
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  const stored = (id: string) =>
    readFileSync(join(t.dataDir, 'attachments', id.slice(0, 2), `${id}.thumb`));

  it('a JPEG gets a JPEG thumbnail of at most 320 px, served to members only, encrypted at rest', async () => {
    const up = await upload(jpegOf(800, 600), 'rentgen.jpg');
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.thumbnail, true);
    const id = up.body.id as string;
    const early = await thumb(b, id);
    assert.equal(early.status, 404, 'not sent yet: only the uploader sees it');
    await sendWith(id);
    const res = await thumb(b, id);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const bytes = Buffer.from(await res.arrayBuffer());
    const img = jpeg.decode(bytes, { useTArray: true });
    assert.deepEqual([img.width, img.height], [320, 240]);
    const denied = await thumb(outsider, id);
    assert.equal(denied.status, 403);
    assert.equal(((await denied.json()) as any).error.code, 'messaging.not_member');
    const onDisk = stored(id);
    assert.equal(onDisk.subarray(0, 4).toString('latin1'), 'KSA1');
    assert.equal(
      onDisk.indexOf(bytes.subarray(0, 64)),
      -1,
      'no plaintext of the thumbnail on disk',
    );
    assert.equal(onDisk.indexOf(Buffer.from('JFIF')), -1);
  });

  it('a PNG with transparency gets a thumbnail laid on white; small images keep their size', async () => {
    const up = await upload(pngOf(500, 100), 'ekg.png');
    assert.equal(up.body.thumbnail, true);
    await sendWith(up.body.id);
    const img = jpeg.decode(Buffer.from(await (await thumb(b, up.body.id)).arrayBuffer()), {
      useTArray: true,
    });
    assert.deepEqual([img.width, img.height], [320, 64]);
    // Half the pixels are transparent: on white, the red channel stays high, green and blue mid.
    assert.ok(img.data[0]! > 180 && img.data[1]! > 90 && img.data[1]! < 180);
    const small = await upload(pngOf(40, 30), 'icon.png');
    await sendWith(small.body.id);
    const s = jpeg.decode(Buffer.from(await (await thumb(a, small.body.id)).arrayBuffer()));
    assert.deepEqual([s.width, s.height], [40, 30]);
  });

  it('a corrupt image is stored without a thumbnail, and the upload is still served', async () => {
    const broken = Buffer.concat([jpegOf(64, 64).subarray(0, 200), Buffer.alloc(300, 0x42)]);
    const up = await upload(broken, 'broken.jpg');
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.contentType, 'image/jpeg');
    assert.equal(up.body.thumbnail, false);
    await sendWith(up.body.id);
    const res = await thumb(b, up.body.id);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as any).error.code, 'files.not_found');
    const original = await fetch(`${t.hub.url()}/api/v1/attachments/${up.body.id}`, {
      headers: { authorization: `Bearer ${b.token}` },
    });
    assert.equal(original.status, 200, 'the upload itself is served');
    assert.ok(Buffer.from(await original.arrayBuffer()).equals(broken));
  });

  it('an image over 40 megapixels is stored without decoding it and gets no thumbnail', async () => {
    const started = Date.now();
    const up = await upload(hugePng(20_000, 20_000), 'huge.png');
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.contentType, 'image/png');
    assert.equal(up.body.thumbnail, false);
    assert.ok(Date.now() - started < 5_000, 'refused from the header, not decoded');
    await sendWith(up.body.id);
    assert.equal((await thumb(b, up.body.id)).status, 404);
    const unknown = await thumb(b, randomUUID());
    assert.equal(unknown.status, 404);
    const bad = await thumb(b, 'not-an-id');
    assert.equal(bad.status, 400);
  });
});
