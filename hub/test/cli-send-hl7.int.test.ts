import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSendHl7 } from '../src/cli/send-hl7.js';
import { startTestHub, type TestHub } from './support/hub.js';

/** The example shipped for the demo (docs/examples), from the compiled test's folder. */
const EXAMPLE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'docs',
  'examples',
  'critical-potassium.hl7',
);

describe('hl7:send (MLLP sender for trying a feed)', () => {
  let t: TestHub;
  let dir: string;
  before(async () => {
    t = await startTestHub('sqlite', { mllpPort: 0 });
    dir = mkdtempSync(join(tmpdir(), 'konsilium-hl7-'));
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = () => String(t.hub.internals.mllpAddress()!.port);

  it('sends the shipped example (LF endings) and reports AA; the result is stored once', async () => {
    const r = await runSendHl7(['--port', port(), EXAMPLE]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /critical-potassium\.hl7: MSA\|AA\|DEMO-K-0001/);
    const again = await runSendHl7(['--port', port(), EXAMPLE]);
    assert.equal(again.code, 0, again.out);
    const rows: { n: number }[] = await t.hub.internals.db.manager.query(
      'SELECT COUNT(*) AS n FROM lab_result',
    );
    assert.equal(Number(rows[0]!.n), 1, 'the duplicate control id is acknowledged, not stored');
  });

  it('exits 1 when the hub answers AE/AR, and says which file', async () => {
    const bad = join(dir, 'adt.hl7');
    writeFileSync(bad, 'MSH|^~\\&|LIS|LAB|K|H|20261127||ADT^A01|X-1|P|2.5.1\nPID|1||1^^^H^MR\n');
    const r = await runSendHl7(['--port', port(), bad]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /adt\.hl7: MSA\|A[ER]\|X-1/);
  });

  it('refuses bad arguments and files before connecting (exit 2)', async () => {
    const notHl7 = join(dir, 'note.txt');
    writeFileSync(notHl7, 'hello\n');
    const cases: [string[], RegExp][] = [
      [[EXAMPLE], /--port must be a TCP port/],
      [['--port', '70000', EXAMPLE], /--port must be a TCP port/],
      [['--port', 'abc', EXAMPLE], /--port must be a TCP port/],
      [['--port', port()], /no file given/],
      [['--port', port(), '--timeout=-1', EXAMPLE], /--timeout must be seconds/],
      [['--port', port(), '--timeout', 'soon', EXAMPLE], /--timeout must be seconds/],
      [['--port', port(), '--bogus', EXAMPLE], /Unknown option/],
      [['--port', port(), join(dir, 'missing.hl7')], /cannot read .*missing\.hl7: ENOENT/],
      [['--port', port(), notHl7], /note\.txt: not an HL7 v2 message/],
    ];
    for (const [args, expected] of cases) {
      const r = await runSendHl7(args);
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.out}`);
      assert.match(r.out, expected);
    }
  });

  it('exits 1 with a clear message when nothing listens', async () => {
    const r = await runSendHl7(['--port', '1', '--timeout', '5', EXAMPLE]);
    assert.equal(r.code, 1);
    assert.match(r.out, /cannot send to 127\.0\.0\.1:1/);
  });
});
