#!/usr/bin/env node
// Bundles the Lit UI (desktop/src/ui) into desktop/dist/web: the web client the
// hub serves at `/` and the Electron renderer loads. No network access.
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'src', 'ui', 'index.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: join(out, 'app.js'),
  tsconfig: join(root, 'tsconfig.ui.json'),
  logLevel: 'warning',
});
cpSync(join(root, 'src', 'ui', 'static'), out, { recursive: true });
