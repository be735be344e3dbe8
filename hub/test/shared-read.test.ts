import assert from 'node:assert/strict';
import { SharedRead } from '../src/platform/shared-read.js';

/** A read whose answers are released by the test, in order. */
function controlled(): {
  read: () => Promise<number>;
  started: () => number;
  finish: (err?: Error) => void;
} {
  const pending: { resolve: (v: number) => void; reject: (e: Error) => void; n: number }[] = [];
  let count = 0;
  let value = 0;
  return {
    read: () =>
      new Promise<number>((resolve, reject) => {
        count++;
        pending.push({ resolve, reject, n: count });
      }),
    started: () => count,
    finish: (err) => {
      const p = pending.shift()!;
      value++;
      if (err) p.reject(err);
      else p.resolve(value * 100 + p.n);
    },
  };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('platform: SharedRead', function () {
  it('callers during a read share the next one, started after that read ends', async function () {
    const c = controlled();
    const shared = new SharedRead(c.read);
    const first = shared.get();
    const second = shared.get();
    const third = shared.get();
    assert.equal(c.started(), 1, 'one read in flight');
    c.finish();
    assert.equal(await first, 101);
    await tick();
    assert.equal(c.started(), 2, 'the callers that came during the first read get a new one');
    c.finish();
    assert.equal(await second, 202);
    assert.equal(await third, 202);
    assert.equal(c.started(), 2);
  });

  it('a caller after everything settled starts a fresh read', async function () {
    const c = controlled();
    const shared = new SharedRead(c.read);
    const a = shared.get();
    c.finish();
    await a;
    const b = shared.get();
    assert.equal(c.started(), 2);
    c.finish();
    assert.equal(await b, 202);
  });

  it('a failed read fails its callers only; the next callers read again', async function () {
    const c = controlled();
    const shared = new SharedRead(c.read);
    const a = shared.get();
    const b = shared.get();
    c.finish(new Error('boom'));
    await assert.rejects(a, /boom/);
    await tick();
    c.finish();
    assert.equal(await b, 202);
    const d = shared.get();
    c.finish();
    assert.equal(await d, 303);
  });
});
