import assert from 'node:assert/strict';
import { Params } from '../src/platform/db/params.js';

describe('Params (multi-row statement placeholders)', () => {
  it('inlines NULL and safe integers, binds strings once per column', () => {
    const p = new Params(false);
    const a = p.tuple([7, 'x', null, '2026-01-01T00:00:00.000Z']);
    const b = p.tuple([8, 'y', undefined, '2026-01-01T00:00:00.000Z']);
    const c = p.tuple([9, '2026-01-01T00:00:00.000Z', 'x', 'x']);
    assert.equal(a, '(7, ?1, NULL, ?2)');
    assert.equal(b, '(8, ?3, NULL, ?2)');
    // The same text in another column gets its own parameter.
    assert.equal(c, '(9, ?4, ?5, ?6)');
    assert.deepEqual(p.values, [
      'x',
      '2026-01-01T00:00:00.000Z',
      'y',
      '2026-01-01T00:00:00.000Z',
      'x',
      'x',
    ]);
  });

  it('binds what is not a plain integer, PostgreSQL style', () => {
    const p = new Params(true);
    assert.equal(p.tuple([1.5, 2 ** 60, "'; DROP TABLE x; --", true]), '($1, $2, $3, $4)');
    assert.deepEqual(p.values, [1.5, 2 ** 60, "'; DROP TABLE x; --", true]);
  });
});
