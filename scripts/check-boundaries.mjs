#!/usr/bin/env node
/**
 * Import-boundary check (DESIGN.md "Import rules", ADR 0001). Dependency-free:
 * it reads every `.ts` file under the checked roots, blanks comments and
 * template literals, collects the specifiers of `import … from`, `export … from`,
 * side-effect `import '…'` and `import('…')` (multi-line and `import type`
 * included) and applies the rules below. Exit 1 lists `file:line  rule  message`.
 *
 *   node scripts/check-boundaries.mjs              check the tree
 *   node scripts/check-boundaries.mjs --self-test  check the checker on fixtures
 *
 * Rules:
 *   shared-relative        shared/ imports a relative path outside shared/
 *   shared-konsilium       shared/ imports a @konsilium/* package
 *   shared-node            shared/ imports a Node builtin or electron
 *   shared-tsconfig        shared/tsconfig.json must have `types: []` and no DOM lib
 *   hub-desktop            hub/ imports @konsilium/desktop or a path into desktop/
 *   desktop-hub            desktop/ imports @konsilium/hub or a path into hub/
 *   package-relative       a relative import leaves its package (use @konsilium/<pkg>)
 *   platform-modules       hub/src/platform/ imports hub/src/modules/
 *   module-internals       hub/src/modules/<a>/ imports hub/src/modules/<b>/ other than index.js
 *   outside-internals      hub/src/** outside modules/ (hub.ts, demo, cli, config, …)
 *                          imports a module other than through its index.js
 *                          (hub/test and hub/bench may import internals)
 *   ui-imports             desktop/src/ui/ imports something other than @konsilium/shared,
 *                          desktop/src/common, ui files or browser packages (lit, @lit/*)
 *   common-pure            desktop/src/common/ imports Node builtins or electron
 *   context-no-electron    desktop/src/context/ imports electron
 */
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { posix } from 'node:path';

/** Roots whose `.ts` files are checked, relative to the repository root. */
export const ROOTS = ['shared/src', 'hub/src', 'hub/test', 'hub/bench', 'desktop/src'];

/** Bare packages `desktop/src/ui` may import besides @konsilium/shared. */
const UI_PACKAGES = [/^lit(\/.*)?$/, /^@lit\/[^/]+(\/.*)?$/, /^@lit-labs\/[^/]+(\/.*)?$/];

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

// ---------------------------------------------------------------------------
// Parsing

/**
 * Replaces comments, template literals and regular-expression literals with
 * spaces (newlines kept, so offsets and line numbers stay valid). Quoted
 * strings are kept: they hold the specifiers.
 */
export function blankNonCode(src) {
  const out = src.split('');
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  let lastSignificant = ''; // last non-space code character, to tell a regex from a division
  const n = src.length;
  while (i < n) {
    const c = src[i];
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && d === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      i = j + 1;
      lastSignificant = c;
    } else if (c === '`') {
      let j = i + 1;
      let depth = 0;
      while (j < n) {
        if (src[j] === '\\') j += 2;
        else if (depth === 0 && src[j] === '`') break;
        else if (src[j] === '$' && src[j + 1] === '{') {
          depth++;
          j += 2;
        } else if (depth > 0 && src[j] === '}') {
          depth--;
          j++;
        } else j++;
      }
      blank(i, Math.min(j + 1, n));
      i = j + 1;
      lastSignificant = '`';
    } else if (
      c === '/' &&
      (lastSignificant === '' ||
        /[(,=:[!&|?{};+\-*%<>~^]/.test(lastSignificant) ||
        /\breturn\s*$/.test(src.slice(Math.max(0, i - 8), i)))
    ) {
      let j = i + 1;
      let inClass = false;
      while (j < n && src[j] !== '\n') {
        const ch = src[j];
        if (ch === '\\') {
          j += 2;
          continue;
        }
        if (ch === '/' && !inClass) break;
        if (ch === '[') inClass = true;
        else if (ch === ']') inClass = false;
        j++;
      }
      blank(i, Math.min(j + 1, n));
      i = j + 1;
      lastSignificant = '/';
    } else {
      if (!/\s/.test(c)) lastSignificant = c;
      i++;
    }
  }
  return out.join('');
}

const STATIC_FROM =
  /(?<![\w$.])(?:import|export)(?![\w$])[^;'"`]*?(?<![\w$.])from\s*(['"])([^'"\n]+)\1/g;
const SIDE_EFFECT = /(?<![\w$.])import\s*(['"])([^'"\n]+)\1/g;
const DYNAMIC = /(?<![\w$.])import\s*\(\s*(['"])([^'"\n]+)\1\s*[,)]/g;

/** Every module specifier in `src` with its 1-based line. */
export function specifiersOf(src) {
  const code = blankNonCode(src);
  const found = new Map();
  for (const re of [STATIC_FROM, SIDE_EFFECT, DYNAMIC]) {
    re.lastIndex = 0;
    for (let m; (m = re.exec(code));) {
      const at = m.index + m[0].lastIndexOf(m[1] + m[2]) + 1;
      found.set(at, m[2]);
    }
  }
  const lineStarts = [0];
  for (let k = 0; k < code.length; k++) if (code[k] === '\n') lineStarts.push(k + 1);
  const lineOf = (offset) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  return [...found.entries()]
    .sort(([a], [b]) => a - b)
    .map(([offset, specifier]) => ({ specifier, line: lineOf(offset) }));
}

// ---------------------------------------------------------------------------
// Rules

function isBuiltin(spec) {
  if (spec.startsWith('node:')) return true;
  return BUILTINS.has(spec.split('/')[0]);
}

function packageOf(path) {
  return path.split('/')[0];
}

/** `hub/src/modules/<m>/<rest>` → { name, rest }, else null. */
function moduleOf(path) {
  const m = /^hub\/src\/modules\/([^/]+)\/(.+)$/.exec(path);
  return m ? { name: m[1], rest: m[2] } : null;
}

function within(path, dir) {
  return path === dir || path.startsWith(dir + '/');
}

/**
 * The boundary violations of one file. `file` is repository-relative with `/`
 * separators; `spec` one of its specifiers.
 */
function checkImport(file, spec) {
  const problems = [];
  const add = (rule, message) => problems.push({ rule, message });
  const pkg = packageOf(file);
  const relativeSpec =
    spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..';
  const target = relativeSpec ? posix.normalize(posix.join(posix.dirname(file), spec)) : null;
  const konsilium = /^@konsilium\/([^/]+)/.exec(spec)?.[1] ?? null;

  if (target !== null && (target.startsWith('../') || target === '..')) {
    add('package-relative', `'${spec}' leaves the repository`);
    return problems;
  }

  // Packages never reach into each other by path.
  if (target !== null && packageOf(target) !== pkg) {
    if (pkg === 'shared') add('shared-relative', `shared imports '${spec}' outside shared/`);
    else if (pkg === 'hub' && packageOf(target) === 'desktop')
      add('hub-desktop', `hub imports desktop code '${spec}'`);
    else if (pkg === 'desktop' && packageOf(target) === 'hub')
      add('desktop-hub', `desktop imports hub code '${spec}'`);
    else
      add('package-relative', `'${spec}' leaves ${pkg}/; import @konsilium/${packageOf(target)}`);
  }

  if (pkg === 'shared') {
    if (konsilium) add('shared-konsilium', `shared imports '${spec}'; it imports nothing of ours`);
    if (isBuiltin(spec) || spec === 'electron' || spec.startsWith('electron/'))
      add('shared-node', `shared imports '${spec}'; it runs in the browser too`);
  }
  if (pkg === 'hub' && konsilium === 'desktop') add('hub-desktop', `hub imports '${spec}'`);
  if (pkg === 'desktop' && konsilium === 'hub') add('desktop-hub', `desktop imports '${spec}'`);

  if (pkg === 'hub' && target !== null) {
    const to = moduleOf(target);
    const from = moduleOf(file);
    if (within(file, 'hub/src/platform') && within(target, 'hub/src/modules')) {
      add('platform-modules', `platform imports module code '${spec}'`);
    } else if (to && from && from.name !== to.name && to.rest !== 'index.js') {
      add(
        'module-internals',
        `module ${from.name} imports '${spec}'; use ../${to.name}/index.js (or a port wired in hub.ts)`,
      );
    } else if (to && !from && within(file, 'hub/src') && to.rest !== 'index.js') {
      add('outside-internals', `'${spec}' reaches into module ${to.name}; import its index.js`);
    }
  }

  if (within(file, 'desktop/src/ui')) {
    const ok =
      spec === '@konsilium/shared' ||
      (target !== null &&
        (within(target, 'desktop/src/ui') || within(target, 'desktop/src/common'))) ||
      (target === null && UI_PACKAGES.some((re) => re.test(spec)));
    if (!ok)
      add('ui-imports', `ui imports '${spec}'; only @konsilium/shared, ../common, ui files, lit`);
  }
  if (within(file, 'desktop/src/common') && (isBuiltin(spec) || /^electron(\/|$)/.test(spec)))
    add('common-pure', `common imports '${spec}'; the IPC contract has no Node or Electron`);
  if (within(file, 'desktop/src/context') && /^electron(\/|$)/.test(spec))
    add('context-no-electron', `context imports '${spec}'; adapters run under plain Node`);

  return problems;
}

/** Strips comments and trailing commas so a tsconfig parses as JSON. */
function parseJsonc(text) {
  const code = blankNonCode(text).replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(code);
}

/** Violations of `shared/tsconfig.json` (`text` null when the file is missing). */
export function checkSharedTsconfig(text) {
  const where = 'shared/tsconfig.json';
  if (text === null) return [{ file: where, line: 1, rule: 'shared-tsconfig', message: 'missing' }];
  let config;
  try {
    config = parseJsonc(text);
  } catch (err) {
    return [
      { file: where, line: 1, rule: 'shared-tsconfig', message: `unreadable: ${err.message}` },
    ];
  }
  const options = config.compilerOptions ?? {};
  const lineOf = (key) => {
    const idx = text.indexOf(`"${key}"`);
    return idx === -1 ? 1 : text.slice(0, idx).split('\n').length;
  };
  const problems = [];
  if (!Array.isArray(options.types) || options.types.length !== 0) {
    problems.push({
      file: where,
      line: lineOf('types'),
      rule: 'shared-tsconfig',
      message: 'compilerOptions.types must be [] (no Node, DOM or Electron types in shared)',
    });
  }
  if (Array.isArray(options.lib) && options.lib.some((l) => /^dom/i.test(l))) {
    problems.push({
      file: where,
      line: lineOf('lib'),
      rule: 'shared-tsconfig',
      message: 'compilerOptions.lib must not include DOM',
    });
  }
  return problems;
}

/**
 * Checks a set of files: `files` maps repository-relative paths (`/`) to
 * source text; `sharedTsconfig` is the text of shared/tsconfig.json or null.
 */
export function checkSources(files, sharedTsconfig) {
  const violations = [];
  for (const [file, src] of files) {
    for (const { specifier, line } of specifiersOf(src)) {
      for (const p of checkImport(file, specifier)) violations.push({ file, line, ...p });
    }
  }
  violations.push(...checkSharedTsconfig(sharedTsconfig));
  return violations;
}

// ---------------------------------------------------------------------------
// The tree

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) walk(full, out);
    else if (e.isFile() && /\.(ts|mts|cts)$/.test(e.name)) out.push(full);
  }
}

function checkTree(repo) {
  const paths = [];
  for (const root of ROOTS) {
    const dir = join(repo, root);
    if (existsSync(dir) && statSync(dir).isDirectory()) walk(dir, paths);
  }
  const files = new Map(
    paths.map((p) => [relative(repo, p).split(sep).join('/'), readFileSync(p, 'utf8')]),
  );
  const tsconfigPath = join(repo, 'shared', 'tsconfig.json');
  const tsconfig = existsSync(tsconfigPath) ? readFileSync(tsconfigPath, 'utf8') : null;
  return { count: files.size, violations: checkSources(files, tsconfig) };
}

// ---------------------------------------------------------------------------
// Self-test: one fixture per rule must be caught; the clean fixture must pass.

const GOOD_TSCONFIG =
  '{\n  // strict\n  "compilerOptions": { "types": [], "lib": ["ES2023"], },\n}\n';

const CASES = [
  ['shared-relative', { 'shared/src/a.ts': "import { x } from '../../hub/src/hub.js';" }],
  ['shared-konsilium', { 'shared/src/a.ts': "import type { Hub } from '@konsilium/hub';" }],
  ['shared-node', { 'shared/src/a.ts': "import { readFileSync } from 'node:fs';" }],
  ['shared-node', { 'shared/src/a.ts': "import crypto from 'crypto';" }],
  ['shared-tsconfig', {}, '{ "compilerOptions": { "types": ["node"] } }'],
  ['shared-tsconfig', {}, '{ "compilerOptions": { "rootDir": "src" } }'],
  ['hub-desktop', { 'hub/src/hub.ts': "import { x } from '@konsilium/desktop';" }],
  ['hub-desktop', { 'hub/test/a.test.ts': "import { x } from '../../desktop/src/main/x.js';" }],
  ['desktop-hub', { 'desktop/src/main/a.ts': "export { createHub } from '@konsilium/hub';" }],
  [
    'desktop-hub',
    { 'desktop/src/main/a.ts': "const m = await import('../../../hub/src/hub.js');" },
  ],
  ['package-relative', { 'hub/src/a.ts': "import { AppError } from '../../shared/src/index.js';" }],
  [
    'platform-modules',
    { 'hub/src/platform/http/app.ts': "import { AuditLog } from '../../modules/audit/index.js';" },
  ],
  [
    'module-internals',
    {
      'hub/src/modules/directory/directory.service.ts':
        "import {\n  AuditLog,\n  type AuditEntry,\n} from '../audit/audit.service.js';",
    },
  ],
  [
    'outside-internals',
    { 'hub/src/hub.ts': "import type { X } from './modules/identity/identity.service.js';" },
  ],
  [
    'outside-internals',
    { 'hub/src/demo/demo-loader.ts': "import '../modules/directory/directory.entity.js';" },
  ],
  [
    'outside-internals',
    { 'hub/src/cli/audit-verify.ts': "export * from '../modules/audit/audit.verify.js';" },
  ],
  ['ui-imports', { 'desktop/src/ui/ks-app.ts': "import { ipcRenderer } from 'electron';" }],
  ['ui-imports', { 'desktop/src/ui/ks-app.ts': "import { x } from '../main/window.js';" }],
  ['ui-imports', { 'desktop/src/ui/ks-app.ts': "import { z } from 'zod';" }],
  ['common-pure', { 'desktop/src/common/ipc.ts': "import { ipcMain } from 'electron';" }],
  ['context-no-electron', { 'desktop/src/context/fhircast.ts': "import { app } from 'electron';" }],
];

const CLEAN = {
  'shared/src/index.ts': "export * from './errors/index.js';\nimport { z } from 'zod';",
  'shared/src/errors/app-error.ts':
    "// import fs from 'node:fs'\n/* import { Hub } from '@konsilium/hub'; */\n" +
    "const s = `import x from 'node:fs'`;\nconst re = /['\"]import/;\n" +
    "import { ERRORS, type ErrorCode } from './catalogue.js';",
  'hub/src/hub.ts':
    "import type { AddressInfo } from 'node:net';\nimport {\n  AUDIT_ENTITIES,\n  AuditLog,\n} from './modules/audit/index.js';\n" +
    "import type { Clock } from './platform/clock.js';\nimport { AppError } from '@konsilium/shared';",
  'hub/src/modules/directory/directory.service.ts':
    "import type { AuditLog } from '../audit/index.js';\nimport { iso } from '../../platform/clock.js';\n" +
    "import { StaffEntity } from './directory.entity.js';",
  'hub/test/audit.int.test.ts': "import { rowHash } from '../src/modules/audit/audit.hash.js';",
  'hub/bench/directory.bench.ts':
    "const m = await import('../src/modules/directory/directory.service.js');",
  'desktop/src/ui/ks-app.ts':
    "import { LitElement } from 'lit';\nimport { customElement } from 'lit/decorators.js';\n" +
    "import { localized } from '@lit/localize';\nimport { ERRORS } from '@konsilium/shared';\n" +
    "import { CHANNELS } from '../common/ipc.js';\nimport './ks-inbox.js';",
  'desktop/src/context/url.ts': "import { URL } from 'node:url';",
};

function selfTest() {
  const failures = [];
  const clean = checkSources(new Map(Object.entries(CLEAN)), GOOD_TSCONFIG);
  if (clean.length > 0) failures.push(`clean fixture flagged: ${JSON.stringify(clean)}`);
  const empty = checkSources(new Map(), GOOD_TSCONFIG);
  if (empty.length > 0) failures.push(`empty tree flagged: ${JSON.stringify(empty)}`);
  const lines = specifiersOf(
    "import {\n  a,\n  b,\n} from './x.js';\nexport type { T } from './t.js';",
  );
  if (
    JSON.stringify(lines) !==
    JSON.stringify([
      { specifier: './x.js', line: 4 },
      { specifier: './t.js', line: 5 },
    ])
  ) {
    failures.push(`multi-line specifiers/lines wrong: ${JSON.stringify(lines)}`);
  }
  for (const [rule, files, tsconfig = GOOD_TSCONFIG] of CASES) {
    const found = checkSources(new Map(Object.entries(files)), tsconfig);
    if (!found.some((v) => v.rule === rule)) {
      failures.push(
        `${rule} not caught in ${JSON.stringify(files)} (got ${JSON.stringify(found)})`,
      );
    }
  }
  const rulesCovered = new Set(CASES.map(([r]) => r));
  for (const rule of RULES)
    if (!rulesCovered.has(rule)) failures.push(`no fixture for rule ${rule}`);
  if (failures.length > 0) {
    for (const f of failures) process.stderr.write(`self-test: ${f}\n`);
    process.exit(1);
  }
  process.stdout.write(
    `boundaries self-test: ok (${CASES.length + 3} cases, ${RULES.length} rules)\n`,
  );
}

const RULES = [
  'shared-relative',
  'shared-konsilium',
  'shared-node',
  'shared-tsconfig',
  'hub-desktop',
  'desktop-hub',
  'package-relative',
  'platform-modules',
  'module-internals',
  'outside-internals',
  'ui-imports',
  'common-pure',
  'context-no-electron',
];

// ---------------------------------------------------------------------------

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  if (process.argv.includes('--self-test')) {
    selfTest();
  } else {
    const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
    const { count, violations } = checkTree(repo);
    if (violations.length > 0) {
      for (const v of violations)
        process.stderr.write(`${v.file}:${v.line}  ${v.rule}  ${v.message}\n`);
      process.stderr.write(`boundaries: ${violations.length} violation(s) in ${count} files\n`);
      process.exit(1);
    }
    process.stdout.write(`boundaries: ok (${count} files)\n`);
  }
}
