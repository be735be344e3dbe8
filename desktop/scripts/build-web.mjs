#!/usr/bin/env node
// Bundles the Lit UI (desktop/src/ui) into desktop/dist/web: the web client the
// hub serves at `/` and the Electron renderer loads. No network access: the
// Inter font (Cyrillic and Latin subsets) is copied from @fontsource/inter.
// The script gets a content hash in its name (cached for a year by the hub);
// index.html is rewritten to point at it.
import { build } from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: { app: join(root, 'src', 'ui', 'index.ts') },
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  entryNames: '[name]-[hash]',
  outdir: out,
  metafile: true,
  tsconfig: join(root, 'tsconfig.ui.json'),
  logLevel: 'warning',
});
const script = Object.keys(result.metafile.outputs).find((f) => f.endsWith('.js'));
if (!script) throw new Error('esbuild wrote no script');
cpSync(join(root, 'src', 'ui', 'static'), out, { recursive: true });
const indexPath = join(out, 'index.html');
const index = readFileSync(indexPath, 'utf8');
if (!index.includes('./app.js')) throw new Error('index.html must load ./app.js');
writeFileSync(indexPath, index.replace('./app.js', `./${basename(script)}`));

const require = createRequire(join(root, 'package.json'));
const fontDir = join(dirname(require.resolve('@fontsource/inter/package.json')), 'files');
mkdirSync(join(out, 'fonts'), { recursive: true });
for (const subset of ['cyrillic', 'latin']) {
  for (const weight of [400, 600]) {
    const name = `inter-${subset}-${weight}-normal.woff2`;
    copyFileSync(join(fontDir, name), join(out, 'fonts', name));
  }
}
