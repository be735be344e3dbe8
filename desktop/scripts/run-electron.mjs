#!/usr/bin/env node
// `npm run desktop`: starts the Electron shell on this workstation. The
// Electron binary is a separate download; when it is missing (installed with
// ELECTRON_SKIP_BINARY_DOWNLOAD=1) this says so plainly instead of a stack trace.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const desktop = join(dirname(fileURLToPath(import.meta.url)), '..');

let electron;
try {
  electron = require('electron');
} catch {
  electron = null;
}
if (typeof electron !== 'string') {
  process.stderr.write(
    [
      'The Electron binary is not installed on this machine (npm installed the',
      'electron package without it, e.g. ELECTRON_SKIP_BINARY_DOWNLOAD=1).',
      '',
      'To run the desktop shell here, fetch the binary once (needs internet access):',
      '  node node_modules/electron/install.js',
      'then run `npm run desktop` again.',
      '',
      'Without Electron, use the web client: `npm start` and open the printed address.',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
const child = spawn(electron, [desktop, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
