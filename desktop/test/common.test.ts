import assert from 'node:assert/strict';
import { patientContextSchema } from '../src/common/patient-context.js';

describe('desktop common: patient context schema', () => {
  it('accepts a well-formed context and rejects unknown keys', () => {
    const ok = patientContextSchema.safeParse({
      system: 'urn:oid:1.2.3',
      value: '123',
      source: 'url',
      at: '2026-11-27T10:00:00+03:00',
    });
    assert.equal(ok.success, true);
    const bad = patientContextSchema.safeParse({
      system: 'urn:oid:1.2.3',
      value: '123',
      source: 'url',
      at: '2026-11-27T10:00:00+03:00',
      extra: 1,
    });
    assert.equal(bad.success, false);
  });
});
