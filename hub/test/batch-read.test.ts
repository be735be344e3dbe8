import assert from 'node:assert/strict';
import { BatchRead } from '../src/platform/batch-read.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A loader whose reads the test releases; each read sees the value current when it starts. */
function loader() {
  const calls: string[][] = [];
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let version = 1;
  const load = (keys: string[]) => {
    calls.push([...keys]);
    const seen = version;
    return new Promise<Map<string, string>>((resolve, reject) => {
      pending.push({
        resolve: () =>
          resolve(new Map(keys.filter((k) => k !== 'missing').map((k) => [k, `${k}@${seen}`]))),
        reject,
      });
    });
  };
  return {
    load,
    calls,
    bump: () => version++,
    release: () => pending.shift()!.resolve(),
    fail: (e: Error) => pending.shift()!.reject(e),
    waiting: () => pending.length,
  };
}

describe('BatchRead', () => {
  it('reads the keys asked for in one turn with one load, each key once', async () => {
    const l = loader();
    const r = new BatchRead(l.load);
    const a = r.get('a');
    const b = r.getMany(['b', 'a', 'missing']);
    const a2 = r.get('a');
    await tick();
    assert.deepEqual(l.calls, [['a', 'b', 'missing']]);
    l.release();
    assert.equal(await a, 'a@1');
    assert.equal(await a2, 'a@1');
    assert.deepEqual(
      [...(await b)],
      [
        ['b', 'b@1'],
        ['a', 'a@1'],
      ],
    );
  });

  it('never answers a caller with a read started before its call', async () => {
    const l = loader();
    const r = new BatchRead(l.load);
    const first = r.get('a');
    await tick();
    assert.equal(l.waiting(), 1);
    // Asked while the first read is in flight (after the value changed): a new read.
    l.bump();
    const second = r.get('a');
    const third = r.get('c');
    await tick();
    assert.equal(l.calls.length, 1, 'one read at a time');
    l.release();
    assert.equal(await first, 'a@1');
    await tick();
    assert.deepEqual(l.calls[1], ['a', 'c']);
    l.release();
    assert.equal(await second, 'a@2');
    assert.equal(await third, 'c@2');
  });

  it('splits a big read into chunks of at most `max` keys', async () => {
    const l = loader();
    const r = new BatchRead(l.load, 3);
    const all = r.getMany(['1', '2', '3', '4', '5', '6', '7']);
    await tick();
    assert.deepEqual(l.calls, [['1', '2', '3']]);
    l.release();
    await tick();
    assert.deepEqual(l.calls[1], ['4', '5', '6']);
    l.release();
    await tick();
    assert.deepEqual(l.calls[2], ['7']);
    l.release();
    assert.equal((await all).size, 7);
  });

  it('a failed read fails its callers only; the next read works', async () => {
    const l = loader();
    const r = new BatchRead(l.load);
    const bad = r.get('a');
    await tick();
    const good = r.get('b');
    l.fail(new Error('database down'));
    await assert.rejects(bad, /database down/);
    await tick();
    l.release();
    assert.equal(await good, 'b@1');
  });
});
