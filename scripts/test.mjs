#!/usr/bin/env node
// `npm test`: build, lint, boundary rules, then every test suite (SQLite, and
// PostgreSQL when reachable). Ends with one line "tests: N passed, M failed".
import { spawn } from 'node:child_process';

function run(cmd, args, { capture = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
      shell: false,
    });
    let out = '';
    if (capture) {
      child.stdout.on('data', (d) => {
        process.stdout.write(d);
        out += d.toString();
      });
    }
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const steps = [
  ['build', 'npx', ['tsc', '-b']],
  ['lint', 'npx', ['eslint', '.', '--max-warnings', '0']],
  ['format', 'npx', ['prettier', '--check', '.', '--log-level', 'warn']],
  ['boundaries', 'node', ['scripts/check-boundaries.mjs']],
  ['boundaries self-test', 'node', ['scripts/check-boundaries.mjs', '--self-test']],
];
const skip = new Set((process.env.KONSILIUM_TEST_SKIP ?? '').split(',').filter(Boolean));
for (const [name, cmd, args] of steps) {
  if (skip.has(name)) continue;
  process.stdout.write(`\n== ${name}\n`);
  const { code } = await run(cmd, args);
  if (code !== 0) {
    process.stdout.write(`\n${name} failed\ntests: 0 passed, 1 failed\n`);
    process.exit(1);
  }
}
process.stdout.write('\n== tests (mocha)\n');
const extra = process.argv.slice(2);
const { code, out } = await run('npx', ['mocha', ...extra], { capture: true });
let passed = Number(/(\d+) passing/.exec(out)?.[1] ?? 0);
let failed = Number(/(\d+) failing/.exec(out)?.[1] ?? 0);
let crashCode = 0;
if (!skip.has('crash')) {
  // Invariants 1-3 under SIGKILL: see hub/test/crash/crash.ts (about 20 s).
  process.stdout.write('\n== crash test (npm run test:crash)\n');
  const crash = await run('node', ['hub/dist/test/crash/crash.js'], { capture: true });
  crashCode = crash.code;
  if (crash.code === 0) passed += 1;
  else failed += 1;
}
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
process.exit(code !== 0 || crashCode !== 0 || failed > 0 || passed === 0 ? 1 : 0);
