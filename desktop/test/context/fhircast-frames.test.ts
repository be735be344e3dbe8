import assert from 'node:assert/strict';
import { nextState } from '../../src/context/fhircast-events.js';
import {
  channelEndpoint,
  eventKind,
  parseTimestamp,
  pickIdentifier,
} from '../../src/context/fhircast-frames.js';

const MRN = 'urn:oid:1.2.3';

describe('context: FHIRcast shapes and transitions', () => {
  it('takes the channel endpoint from STU3 JSON or an older plain body, refusing downgrades', () => {
    const hub = 'https://mis.local/fhircast';
    assert.deepEqual(channelEndpoint('{"hub.channel.endpoint":"wss://mis.local/ws/1"}', hub), {
      ok: true,
      endpoint: 'wss://mis.local/ws/1',
    });
    assert.deepEqual(channelEndpoint('wss://mis.local/ws/2\n', hub), {
      ok: true,
      endpoint: 'wss://mis.local/ws/2',
    });
    const bad: Array<[string, string, string]> = [
      ['{"hub.channel.endpoint":"ws://mis.local/ws/1"}', hub, 'fhircast.insecure_endpoint'],
      ['{"other":1}', hub, 'fhircast.no_endpoint'],
      ['{"hub.channel.endpoint":42}', hub, 'fhircast.no_endpoint'],
      ['https://mis.local/ws', hub, 'fhircast.bad_endpoint'],
      ['javascript:alert(1)', hub, 'fhircast.bad_endpoint'],
      ['', hub, 'fhircast.bad_endpoint'],
    ];
    for (const [body, hubUrl, reason] of bad) {
      assert.deepEqual(channelEndpoint(body, hubUrl), { ok: false, reason }, body);
    }
  });

  it('recognises event names in any case and the STU1 names; others are not followed', () => {
    assert.equal(eventKind('Patient-open'), 'patient-open');
    assert.equal(eventKind('PATIENT-OPEN'), 'patient-open');
    assert.equal(eventKind('patient_close'), 'patient-close');
    assert.equal(eventKind('open-patient-chart'), 'patient-open');
    assert.equal(eventKind('close-patient-chart'), 'patient-close');
    assert.equal(eventKind('UserLogout'), 'logout');
    assert.equal(eventKind('ImagingStudy-open'), null);
  });

  it('reads timestamps with and without a zone, rejecting everything else', () => {
    assert.equal(parseTimestamp('2018-01-08T01:37:05.14'), Date.UTC(2018, 0, 8, 1, 37, 5, 140));
    assert.equal(parseTimestamp('2018-01-08T04:37:05+0300'), Date.UTC(2018, 0, 8, 1, 37, 5));
    assert.equal(parseTimestamp('2018-01-08T01:37Z'), Date.UTC(2018, 0, 8, 1, 37));
    for (const bad of ['yesterday', '2018-01-08', '2018-13-45T99:99:99Z', '', '1515375425140']) {
      assert.equal(parseTimestamp(bad), null, bad);
    }
  });

  it('picks the configured identifier system first, then fallbacks', () => {
    const res = {
      id: 'r1',
      identifier: [{ value: 'bare' }, { system: 'urn:a', value: 'A' }, { system: MRN, value: 'M' }],
    };
    assert.deepEqual(pickIdentifier(res, { identifierSystem: MRN }), { system: MRN, value: 'M' });
    assert.deepEqual(pickIdentifier(res, {}), { system: 'urn:a', value: 'A' });
    assert.deepEqual(
      pickIdentifier({ identifier: [{ value: 'bare' }] }, { identifierSystem: MRN }),
      {
        system: MRN,
        value: 'bare',
      },
    );
    assert.deepEqual(pickIdentifier({ id: 'r1' }, { resourceIdSystem: 'urn:id' }), {
      system: 'urn:id',
      value: 'r1',
    });
    assert.equal(pickIdentifier({ id: 'r1', identifier: 'nope' }, {}), null);
    assert.equal(pickIdentifier({ identifier: [{ system: MRN, value: 5 }, null, 'x'] }, {}), null);
  });

  it('moves the context: encounter without patient keeps the patient, encounter-close keeps it, logout clears', () => {
    const at = new Date('2026-11-27T10:00:00Z');
    const current = {
      system: MRN,
      value: 'P-1',
      source: 'fhircast' as const,
      at: '2026-11-27T09:00:00.000Z',
    };
    const enc = [{ key: 'encounter', resource: { resourceType: 'Encounter', id: 'E-5' } }];
    const opened = nextState('encounter-open', enc, current, at, {});
    assert.deepEqual(opened, {
      state: 'active',
      context: { ...current, encounter: { value: 'E-5' }, at: at.toISOString() },
    });
    assert.deepEqual(nextState('encounter-open', enc, null, at, {}), {
      reason: 'fhircast.no_patient',
    });
    assert.deepEqual(
      nextState(
        'encounter-open',
        [{ key: 'patient', resource: { identifier: [{ system: MRN, value: 'P-1' }] } }],
        current,
        at,
        {},
      ),
      { reason: 'fhircast.no_encounter' },
    );
    assert.ok('state' in opened);
    assert.deepEqual(nextState('encounter-close', enc, opened.context, at, {}), {
      state: 'active',
      context: { ...current, at: at.toISOString() },
    });
    assert.deepEqual(nextState('logout', [], current, at, {}), { state: 'none', context: null });
    assert.deepEqual(nextState('patient-close', [], current, at, {}), {
      state: 'none',
      context: null,
    });
  });
});
