import assert from 'node:assert/strict';
import {
  originAllowed,
  patientFromFrame,
  patientFromLocation,
} from '../../src/ui/data/patient-source.js';

const AT = '2026-11-27T09:00:00.000Z';

describe('ui: patient context in a browser (URL and postMessage)', () => {
  it('reads the hash form and the query form; the hash wins', () => {
    const h = patientFromLocation(
      '?patient=urn%3Aoid%3A1.2%7COTHER',
      '#patient?system=urn%3Aoid%3A1.2.643&value=MRN-1&display=%D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2&encounter=E-7',
      AT,
    );
    assert.equal(h.kind, 'patient');
    if (h.kind !== 'patient') return;
    assert.equal(h.context.system, 'urn:oid:1.2.643');
    assert.equal(h.context.value, 'MRN-1');
    assert.equal(h.context.display, 'Петров');
    assert.deepEqual(h.context.encounter, { value: 'E-7' });
    assert.equal(h.context.source, 'url');
    const q = patientFromLocation('?patient=urn%3Aoid%3A1.2%7CMRN-2&display=X', '', AT);
    assert.equal(q.kind === 'patient' && q.context.value, 'MRN-2');
    assert.equal(patientFromLocation('', '', AT).kind, 'absent');
    assert.equal(patientFromLocation('', '#patient-close', AT).kind, 'clear');
  });

  it('hostile or malformed input is invalid, never a patient', () => {
    for (const [search, hash] of [
      ['?patient=novalue', ''],
      ['?patient=%7Conly-value', ''],
      ['', '#patient?system=&value=1'],
      ['', '#patient?system=s'],
      ['', `#patient?system=s&value=${'x'.repeat(200)}`],
      ['', `#patient?system=s&value=1&display=${'д'.repeat(300)}`],
    ] as const) {
      assert.equal(patientFromLocation(search, hash, AT).kind, 'invalid', `${search}${hash}`);
    }
  });

  it('postMessage frames: patient, close, malformed, and unrelated frames', () => {
    const ok = patientFromFrame(
      {
        type: 'konsilium.patient',
        patient: { system: 's', value: 'v', encounter: { value: 'e' } },
      },
      AT,
    );
    assert.equal(ok.kind === 'patient' && ok.context.encounter?.value, 'e');
    assert.equal(patientFromFrame({ type: 'konsilium.patient-close' }, AT).kind, 'clear');
    assert.equal(patientFromFrame({ type: 'konsilium.patient' }, AT).kind, 'invalid');
    assert.equal(
      patientFromFrame({ type: 'konsilium.patient', patient: { system: 's', value: 42 } }, AT).kind,
      'invalid',
    );
    assert.equal(
      patientFromFrame(
        { type: 'konsilium.patient', patient: { system: 's', value: 'v', extra: '<script>' } },
        AT,
      ).kind,
      'patient',
    );
    assert.equal(patientFromFrame('konsilium.patient', AT).kind, 'absent');
    assert.equal(patientFromFrame({ type: 'other' }, AT).kind, 'absent');
    assert.equal(patientFromFrame(null, AT).kind, 'absent');
  });

  it('only our own origin and listed origins may send frames', () => {
    const own = 'http://hub.local:8080';
    assert.equal(originAllowed(own, own, []), true);
    assert.equal(originAllowed('https://mis.local', own, ['https://mis.local']), true);
    assert.equal(originAllowed('https://evil.example', own, ['https://mis.local']), false);
    assert.equal(originAllowed('null', own, []), false);
  });
});
