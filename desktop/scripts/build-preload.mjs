#!/usr/bin/env node
// Bundles the preload (desktop/src/preload) into one CommonJS file,
// desktop/dist/preload/preload.cjs: a sandboxed preload can require only
// `electron` (and a few Node builtins), never our other modules.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'src', 'preload', 'preload.ts')],
  bundle: true,
  format: 'cjs',
  platform: 'browser',
  target: 'es2022',
  external: ['electron'],
  outfile: join(root, 'dist', 'preload', 'preload.cjs'),
  tsconfig: join(root, 'tsconfig.node.json'),
  logLevel: 'warning',
});
