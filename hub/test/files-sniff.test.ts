import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sniffContentType } from '../src/modules/files/index.js';
import { cleanName, contentDisposition } from '../src/modules/files/files.names.js';
import { seal, unseal } from '../src/modules/files/files.crypto.js';
import { docx, ole, pdf, png, zip } from './support/files-fixtures.js';

const bytes = (...parts: (number[] | string)[]) =>
  Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))),
  );

describe('attachment content sniffing', function () {
  const cases: [string, Buffer, string][] = [
    ['JPEG', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF'), 'image/jpeg'],
    ['PNG', png(), 'image/png'],
    ['GIF89a', bytes('GIF89a', [1, 0, 1, 0, 0, 0, 0]), 'image/gif'],
    ['GIF87a', bytes('GIF87a', [1, 0, 1, 0]), 'image/gif'],
    ['WebP', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), 'image/webp'],
    [
      'HEIC (ftyp heic)',
      bytes([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0], 'mif1heic'),
      'image/heic',
    ],
    [
      'HEIC (ftyp heix)',
      bytes([0, 0, 0, 0x18], 'ftypheix', [0, 0, 0, 0], 'mif1heix'),
      'image/heic',
    ],
    [
      'HEIF (ftyp mif1)',
      bytes([0, 0, 0, 0x18], 'ftypmif1', [0, 0, 0, 0], 'mif1heic'),
      'image/heif',
    ],
    ['PDF', pdf(), 'application/pdf'],
    ['DOCX', docx(), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    [
      'XLSX',
      zip([
        ['[Content_Types].xml', '<Types/>'],
        ['xl/workbook.xml', '<workbook/>'],
      ]),
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ],
    [
      'PPTX',
      zip([
        ['[Content_Types].xml', '<Types/>'],
        ['ppt/presentation.xml', '<p/>'],
      ]),
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    ['DOC (OLE2 with WordDocument)', ole(['WordDocument', '1Table']), 'application/msword'],
    ['XLS (OLE2 with Workbook)', ole(['Workbook']), 'application/vnd.ms-excel'],
    [
      'PPT (OLE2 with PowerPoint Document)',
      ole(['PowerPoint Document']),
      'application/vnd.ms-powerpoint',
    ],
    ['UTF-8 text', Buffer.from('Анализ крови: Hb 132 г/л\n', 'utf8'), 'text/plain'],
    ['text with a BOM', Buffer.from('\ufeffпротокол', 'utf8'), 'text/plain'],
  ];
  for (const [what, input, type] of cases) {
    it(`recognises ${what} as ${type}`, function () {
      assert.equal(sniffContentType(input), type);
    });
  }

  const refused: [string, Buffer][] = [
    ['a Windows executable (MZ)', bytes('MZ', [0x90, 0, 3, 0, 0, 0, 4, 0])],
    ['an ELF executable', bytes([0x7f], 'ELF', [2, 1, 1, 0, 0, 0, 0, 0])],
    ['random bytes', Buffer.concat([Buffer.from([0, 0xff]), randomBytes(4094)])],
    ['a plain ZIP archive', zip([['notes.txt', 'hello']])],
    ['a ZIP with Office parts but no [Content_Types].xml', zip([['word/document.xml', '<w/>']])],
    ['a macro-enabled Word file (vbaProject.bin)', docx('x', [['word/vbaProject.bin', 'VBA']])],
    [
      'a ZIP mixing Word and Excel parts',
      zip([
        ['[Content_Types].xml', '<Types/>'],
        ['word/document.xml', '<w/>'],
        ['xl/workbook.xml', '<x/>'],
      ]),
    ],
    ['an OLE2 file that is not Office (e.g. an installer)', ole(['\u0005SummaryInformation'])],
    ['an OLE2 Word file with macros', ole(['WordDocument', 'Macros'])],
    ['a truncated OLE2 header', ole(['WordDocument']).subarray(0, 600)],
    ['a truncated ZIP', docx().subarray(0, 80)],
    ['text with a NUL byte', Buffer.from('abc\0def', 'latin1')],
    ['invalid UTF-8', Buffer.from([0x61, 0xc3, 0x28])],
    ['Windows-1251 text (not UTF-8)', Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2])],
    ['an ISO-BMFF file of another brand (MP4)', bytes([0, 0, 0, 0x18], 'ftypisom', [0, 0, 2, 0])],
  ];
  for (const [what, input] of refused) {
    it(`refuses ${what}`, function () {
      assert.equal(sniffContentType(input), null);
    });
  }

  it('never throws on any prefix of a valid Office or OLE2 file', function () {
    for (const whole of [docx(), ole(['WordDocument'])]) {
      for (let n = 0; n <= whole.length; n += 7) sniffContentType(whole.subarray(0, n));
    }
  });
});

describe('attachment names', function () {
  const cases: [string | undefined, string, string][] = [
    ['Результат КТ.pdf', 'application/pdf', 'Результат КТ.pdf'],
    ['C:\\Users\\doc\\scan.PNG', 'image/png', 'scan.PNG'],
    ['../../etc/passwd', 'text/plain', 'passwd.txt'],
    ['report\u202Efdp.exe', 'application/pdf', 'reportfdp.exe.pdf'],
    ['line\r\nbreak.txt', 'text/plain', 'linebreak.txt'],
    ['photo.jpeg', 'image/jpeg', 'photo.jpeg'],
    ['scan.exe', 'image/png', 'scan.exe.png'],
    [undefined, 'image/jpeg', 'image.jpg'],
    ['   ', 'application/pdf', 'document.pdf'],
    ['..', 'text/plain', 'text.txt'],
  ];
  for (const [raw, type, want] of cases) {
    it(`cleans ${JSON.stringify(raw)} (${type}) to ${JSON.stringify(want)}`, function () {
      assert.equal(cleanName(raw, type as Parameters<typeof cleanName>[1]), want);
    });
  }

  it('refuses a name over 255 characters with files.invalid_name, and keeps 255 exactly', function () {
    assert.throws(
      () => cleanName(`${'я'.repeat(252)}.pdf`, 'application/pdf'),
      (e: any) => e.code === 'files.invalid_name' && e.field === 'name',
    );
    const long = `${'я'.repeat(251)}.pdf`;
    assert.equal(cleanName(long, 'application/pdf'), long);
    assert.equal([...cleanName('я'.repeat(255), 'application/pdf')].length, 255);
  });

  it('writes Content-Disposition with an ASCII fallback and the exact UTF-8 name', function () {
    assert.equal(
      contentDisposition('КТ "грудь" (1).pdf', false),
      `attachment; filename="__ _______ (1).pdf"; filename*=UTF-8''%D0%9A%D0%A2%20%22%D0%B3%D1%80%D1%83%D0%B4%D1%8C%22%20%281%29.pdf`,
    );
    assert.match(contentDisposition('a.png', true), /^inline; /);
  });
});

describe('attachment encryption format', function () {
  const key = randomBytes(32);
  const id = '0b7e3c9e-1d2f-4a5b-8c6d-7e8f9a0b1c2d';

  it('writes KSA1 + IV + ciphertext + tag, a fresh IV each time, and reads it back', function () {
    const plain = Buffer.from('KS-SECRET-MARKER');
    const a = seal(key, id, plain);
    const b = seal(key, id, plain);
    assert.equal(a.subarray(0, 4).toString('latin1'), 'KSA1');
    assert.equal(a.length, 4 + 12 + plain.length + 16);
    assert.notDeepEqual(a.subarray(4, 16), b.subarray(4, 16));
    assert.equal(a.indexOf(plain), -1);
    assert.deepEqual(unseal(key, id, a), plain);
  });

  it('refuses a flipped bit, another id, another key or a missing header', function () {
    const sealed = seal(key, id, Buffer.from('x'.repeat(100)));
    const flipped = Buffer.from(sealed);
    flipped[30]! ^= 1;
    assert.throws(() => unseal(key, id, flipped));
    assert.throws(() => unseal(key, 'ffffffff-1d2f-4a5b-8c6d-7e8f9a0b1c2d', sealed));
    assert.throws(() => unseal(randomBytes(32), id, sealed));
    assert.throws(() => unseal(key, id, sealed.subarray(4)));
  });
});
