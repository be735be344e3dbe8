import assert from 'node:assert/strict';
import { parsePatientArgv, parsePatientUrl } from '../../src/context/url.js';

const AT = new Date('2026-11-27T10:00:00.000Z');
const now = () => AT;
const SYS = 'urn:oid:1.2.643.5.1.13.13.12.2.77.7973';

describe('context: deep link parsing', () => {
  it('reads system, value, display and encounter from a konsilium://patient link', () => {
    const r = parsePatientUrl(
      `konsilium://patient?system=${encodeURIComponent(SYS)}&value=MRN-42&display=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2+%D0%98.%D0%98.&encounter=E-7&encounterSystem=urn%3Amis%3Aenc`,
      { now },
    );
    assert.deepEqual(r, {
      ok: true,
      context: {
        system: SYS,
        value: 'MRN-42',
        display: 'Иванов И.И.',
        encounter: { system: 'urn:mis:enc', value: 'E-7' },
        source: 'url',
        at: '2026-11-27T10:00:00.000Z',
      },
    });
  });

  it('accepts the variants a MIS sends: whole link URL-encoded, upper-case scheme, trailing slash, unknown params, fragment', () => {
    const variants = [
      encodeURIComponent(`konsilium://patient?system=${SYS}&value=42`),
      `KONSILIUM://Patient?system=${SYS}&value=42`,
      `konsilium://patient/?system=${SYS}&value=42&misVersion=7.1`,
      `konsilium://patient?system=${SYS}&value=42#tab`,
      `  konsilium://patient?value=42&system=${SYS}  `,
    ];
    for (const v of variants) {
      const r = parsePatientUrl(v, { now });
      assert.ok(r.ok, v);
      assert.equal(r.context.value, '42');
      assert.equal(r.context.system, SYS);
    }
  });

  it('uses the configured default system when the link carries only a value', () => {
    const r = parsePatientUrl('konsilium://patient?value=42', { now, defaultSystem: SYS });
    assert.ok(r.ok);
    assert.equal(r.context.system, SYS);
    assert.deepEqual(parsePatientUrl('konsilium://patient?value=42', { now }), {
      ok: false,
      reason: 'url.missing_system',
    });
  });

  const hostile: Array<[string, unknown, string]> = [
    ['another scheme', `https://patient?system=${SYS}&value=1`, 'url.scheme'],
    ['javascript:', 'javascript:alert(1)//konsilium://patient?value=1', 'url.scheme'],
    ['file:', 'file:///etc/passwd', 'url.scheme'],
    ['no scheme', '//patient?value=1', 'url.scheme'],
    ['another target', `konsilium://settings?system=${SYS}&value=1`, 'url.target'],
    ['userinfo in authority', `konsilium://evil@patient?system=${SYS}&value=1`, 'url.target'],
    ['port in authority', `konsilium://patient:80?system=${SYS}&value=1`, 'url.target'],
    ['path traversal', `konsilium://patient/../x?system=${SYS}&value=1`, 'url.target'],
    ['overlong', `konsilium://patient?system=${SYS}&value=1&x=${'a'.repeat(3000)}`, 'url.too_long'],
    [
      'raw control character',
      `konsilium://patient?system=${SYS}&value=1\u0000`,
      'url.control_char',
    ],
    ['raw newline', `konsilium://patient?system=${SYS}\n&value=1`, 'url.control_char'],
    [
      'encoded control character',
      `konsilium://patient?system=${SYS}&value=1%0D%0A`,
      'url.control_char',
    ],
    ['encoded C1 control', `konsilium://patient?system=${SYS}&value=1%C2%85`, 'url.control_char'],
    [
      'bidi override in display',
      `konsilium://patient?system=${SYS}&value=1&display=%E2%80%AEabc`,
      'url.bidi_char',
    ],
    ['duplicate value', `konsilium://patient?system=${SYS}&value=1&value=2`, 'url.duplicate_param'],
    [
      'duplicate in other case',
      `konsilium://patient?system=${SYS}&value=1&VALUE=2`,
      'url.duplicate_param',
    ],
    ['missing value', `konsilium://patient?system=${SYS}`, 'url.missing_value'],
    ['empty value', `konsilium://patient?system=${SYS}&value=`, 'url.missing_value'],
    ['blank value', `konsilium://patient?system=${SYS}&value=+++`, 'url.missing_value'],
    ['no query', 'konsilium://patient', 'url.missing_value'],
    ['non-UTF-8 escape', `konsilium://patient?system=${SYS}&value=%C3%28`, 'url.bad_encoding'],
    ['lone continuation byte', `konsilium://patient?system=${SYS}&value=%80`, 'url.bad_encoding'],
    ['truncated escape', `konsilium://patient?system=${SYS}&value=%E2%82`, 'url.bad_encoding'],
    ['bad escape in key', `konsilium://patient?system=${SYS}&val%ZZue=1`, 'url.bad_encoding'],
    ['broken whole-link encoding', 'konsilium%3A%2F%2Fpatient%3Fvalue%3D%E2', 'url.bad_encoding'],
    [
      'too many params',
      `konsilium://patient?system=${SYS}&value=1${Array.from({ length: 20 }, (_, i) => `&k${i}=1`).join('')}`,
      'url.too_many_params',
    ],
    [
      'value too long',
      `konsilium://patient?system=${SYS}&value=${'9'.repeat(200)}`,
      'url.invalid_value',
    ],
    [
      'encounter system without encounter',
      `konsilium://patient?system=${SYS}&value=1&encounterSystem=x`,
      'url.missing_encounter',
    ],
    ['not a string', 42, 'url.not_text'],
    ['null', null, 'url.not_text'],
  ];
  for (const [name, input, reason] of hostile) {
    it(`rejects ${name} with ${reason}`, () => {
      assert.deepEqual(parsePatientUrl(input, { now }), { ok: false, reason });
    });
  }

  it('never throws and never puts the input into a reason, over a corpus of mangled links', () => {
    const base = `konsilium://patient?system=${SYS}&value=SECRET-MRN&display=Secret+Name`;
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 2000; i++) {
      const chars = [...base];
      const edits = 1 + Math.floor(rnd() * 4);
      for (let e = 0; e < edits; e++) {
        const pos = Math.floor(rnd() * chars.length);
        chars[pos] = String.fromCharCode(Math.floor(rnd() * 0x3000));
      }
      const r = parsePatientUrl(chars.join(''), { now });
      if (!r.ok) {
        assert.match(r.reason, /^url\.[a-z_]+$/);
        assert.ok(!r.reason.includes('SECRET'));
      }
    }
  });
});

describe('context: command-line parsing', () => {
  it('finds a deep link anywhere in argv, as Windows passes it to the second instance', () => {
    const argv = [
      'C:\\Program Files\\Konsilium\\Konsilium.exe',
      '--allow-file-access-from-files',
      '--original-process-start-time=13378000000000000',
      `"konsilium://patient?system=${encodeURIComponent(SYS)}&value=77"`,
    ];
    const r = parsePatientArgv(argv, { now });
    assert.ok(r.ok);
    assert.equal(r.context.value, '77');
    assert.equal(r.context.source, 'url');
  });

  it('reads --patient-* flags in both --flag=value and --flag value forms', () => {
    const r = parsePatientArgv(
      [
        'konsilium',
        `--patient-system=${SYS}`,
        '--patient-value',
        '88',
        '--patient-display=Петров П.П.',
        '--encounter=E-1',
      ],
      { now },
    );
    assert.deepEqual(r, {
      ok: true,
      context: {
        system: SYS,
        value: '88',
        display: 'Петров П.П.',
        encounter: { value: 'E-1' },
        source: 'url',
        at: AT.toISOString(),
      },
    });
  });

  it('reports an ordinary launch as argv.no_context', () => {
    assert.deepEqual(parsePatientArgv(['/usr/bin/konsilium', '--no-sandbox'], { now }), {
      ok: false,
      reason: 'argv.no_context',
    });
  });

  const link = `konsilium://patient?system=${SYS}&value=1`;
  const hostile: Array<[string, unknown, string]> = [
    ['not an array', 'konsilium://patient?value=1', 'argv.not_list'],
    ['a non-string entry', ['exe', 5], 'argv.not_text'],
    ['too many entries', Array.from({ length: 300 }, () => '--x'), 'argv.too_large'],
    ['one huge entry', ['exe', `--patient-display=${'x'.repeat(5000)}`], 'argv.too_large'],
    ['too much in total', Array.from({ length: 200 }, () => 'y'.repeat(200)), 'argv.too_large'],
    ['two different links', ['exe', link, `${link}0`], 'argv.ambiguous'],
    ['a link and flags', ['exe', link, '--patient-value=2'], 'argv.ambiguous'],
    [
      'a repeated flag',
      ['exe', `--patient-system=${SYS}`, '--patient-value=1', '--patient-value=2'],
      'argv.duplicate_param',
    ],
    [
      'a flag without value at the end',
      ['exe', `--patient-system=${SYS}`, '--patient-value'],
      'argv.missing_value',
    ],
    ['flags without a value', ['exe', `--patient-system=${SYS}`], 'argv.missing_value'],
    [
      'a control character in a flag',
      ['exe', `--patient-system=${SYS}`, '--patient-value=1\u0007'],
      'argv.control_char',
    ],
    ['a hostile link', ['exe', 'konsilium:javascript:alert(1)'], 'url.target'],
  ];
  for (const [name, input, reason] of hostile) {
    it(`rejects ${name} with ${reason}`, () => {
      assert.deepEqual(parsePatientArgv(input, { now }), { ok: false, reason });
    });
  }
});
