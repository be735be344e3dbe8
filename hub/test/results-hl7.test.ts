import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { MllpDecoder, mllpFrame } from '../src/modules/results/index.js';
import { hl7Time, parseOru, unescapeHl7 } from '../src/modules/results/results.hl7.js';

const STD = { field: '|', comp: '^', rep: '~', esc: '\\', sub: '&' };
const OPTS = { fallbackCharset: 'windows-1251', criticalFlags: new Set(['HH', 'LL', 'AA']) };

describe('results: MLLP framing', function () {
  it('finds frames across reads, several in one read, and drops bytes outside frames', function () {
    const d = new MllpDecoder(1000);
    const a = mllpFrame(Buffer.from('MSH|A'));
    const b = mllpFrame(Buffer.from('MSH|B'));
    const all = Buffer.concat([Buffer.from('noise'), a, Buffer.from('\r\n'), b]);
    const out: string[] = [];
    for (let i = 0; i < all.length; i += 3)
      out.push(...d.push(all.subarray(i, i + 3)).frames.map((f) => f.toString()));
    assert.deepEqual(out, ['MSH|A', 'MSH|B']);
    assert.equal(d.discarded, 7);
  });

  it('abandons an unfinished frame when a new start block comes, and accepts FS without CR', function () {
    const d = new MllpDecoder(1000);
    const r = d.push(Buffer.from('\x0bMSH|lost\x0bMSH|kept\x1c\x0bMSH|next\x1c\r'));
    assert.deepEqual(
      r.frames.map((f) => f.toString()),
      ['MSH|kept', 'MSH|next'],
    );
  });

  it('reports an oversize frame once, with its head for the ACK', function () {
    const d = new MllpDecoder(1024);
    const r = d.push(Buffer.concat([Buffer.from('\x0bMSH|^~\\&|A'), Buffer.alloc(2000, 0x41)]));
    assert.equal(r.frames.length, 0);
    assert.ok(r.oversize?.toString().startsWith('MSH|^~\\&|A'));
  });
});

describe('results: HL7 v2 parsing', function () {
  it('undoes escapes, hex in the message charset, and keeps unknown ones', function () {
    assert.equal(unescapeHl7('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f', STD, 'utf-8'), 'a|b^c&d~e\\f');
    assert.equal(unescapeHl7('\\XD09FD180\\', STD, 'utf-8'), 'Пр');
    assert.equal(unescapeHl7('\\XCFF0\\', STD, 'windows-1251'), 'Пр');
    assert.equal(unescapeHl7('x\\.br\\y\\H\\z\\N\\', STD, 'utf-8'), 'x\nyz');
    assert.equal(
      unescapeHl7('\\Q7\\ and \\unterminated', STD, 'utf-8'),
      '\\Q7\\ and \\unterminated',
    );
  });

  it('reads HL7 times with and without offsets', function () {
    assert.equal(hl7Time('20261127101500+0300'), '2026-11-27T10:15:00+03:00');
    assert.equal(hl7Time('202611271015'), '2026-11-27T10:15:00');
    assert.equal(hl7Time('20261127'), '2026-11-27T00:00:00');
    assert.equal(hl7Time('yesterday'), null);
    assert.equal(hl7Time(''), null);
  });

  it('takes critical flags from the configured set, case-insensitively, across repetitions', function () {
    const msg = (flag: string) =>
      Buffer.from(
        [
          'MSH|^~\\&|L|F|K|H|2026||ORU^R01|X1|P|2.5',
          'PID|||1^^^H',
          'OBR|1|||K',
          `OBX|1|NM|K||7|mmol/L||${flag}`,
        ].join('\r'),
      );
    assert.equal(parseOru(msg('N~hh'), OPTS).result.critical, true);
    // Line breaks before MSH inside the frame are tolerated.
    const padded = Buffer.concat([Buffer.from('\r\n'), msg('HH')]);
    assert.equal(parseOru(padded, OPTS).result.controlId, 'X1');
    assert.equal(parseOru(msg('>'), OPTS).result.critical, false);
    assert.equal(parseOru(msg('>'), OPTS).result.abnormal, true);
    assert.equal(
      parseOru(msg('>'), { ...OPTS, criticalFlags: new Set(['>']) }).result.critical,
      true,
    );
  });

  it('decodes 8859/5 from raw bytes (a UTF-8 decode first would garble it)', function () {
    const text =
      'MSH|^~\\&|L|F|K|H|2026||ORU^R01|X2|P|2.5|||||RU|8859/5\rPID|||1^^^H||Ёжиков^Ёж\rOBR|1|||K\rOBX|1|ST|K||текст';
    const r = parseOru(iconv.encode(text, 'iso-8859-5'), OPTS);
    assert.equal(r.header.charset, 'iso-8859-5');
    assert.equal(r.result.patient.name.family, 'Ёжиков');
    assert.equal(r.result.observations[0]!.value, 'текст');
  });
});

describe('results: configuration', function () {
  it('reads the MLLP keys from the environment and refuses bad values', function () {
    const c = loadConfig({
      KONSILIUM_MLLP_PORT: '2575',
      KONSILIUM_MLLP_CRITICAL_FLAGS: 'HH, LL,AA,>',
      KONSILIUM_MLLP_FALLBACK_CHARSET: 'koi8-r',
    });
    assert.equal(c.mllpPort, 2575);
    assert.deepEqual(c.mllpCriticalFlags, ['HH', 'LL', 'AA', '>']);
    assert.equal(c.mllpFallbackCharset, 'koi8-r');
    assert.equal(loadConfig({}).mllpPort, undefined);
    assert.throws(() => loadConfig({ KONSILIUM_MLLP_PORT: '70000' }), ConfigError);
    assert.throws(
      () => loadConfig({ KONSILIUM_MLLP_FALLBACK_CHARSET: 'no-such-charset' }),
      /KONSILIUM_MLLP_FALLBACK_CHARSET/,
    );
    assert.throws(() => loadConfig({ KONSILIUM_MLLP_MAX_FRAME_BYTES: '10' }), ConfigError);
  });
});
