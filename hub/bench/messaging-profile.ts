/**
 * Summarises a V8 `.cpuprofile` of the bench's hub process: top functions by
 * self time, time by area (package or hub module), and the hub's own
 * functions by inclusive time. Compiled positions are mapped back to the
 * TypeScript sources through the emitted source maps.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const maps = new Map<string, SourceMap | null>();

function sourceMapOf(path: string): SourceMap | null {
  if (!maps.has(path)) {
    const file = `${path}.map`;
    maps.set(path, existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8'))) : null);
  }
  return maps.get(path)!;
}

/** `file:line` of a frame: the .ts source for the hub and shared, the package path otherwise. */
function where(f: CallFrame): string {
  if (!f.url) return '';
  let path = f.url;
  if (path.startsWith('file://')) path = fileURLToPath(path);
  const map = path.includes('/dist/') ? sourceMapOf(path) : null;
  const entry = map?.findEntry(f.lineNumber, f.columnNumber);
  if (entry && 'originalSource' in entry && entry.originalSource) {
    const src = entry.originalSource.startsWith('file://')
      ? fileURLToPath(entry.originalSource)
      : resolve(dirname(path), entry.originalSource);
    return `${shorten(src)}:${entry.originalLine + 1}`;
  }
  return `${shorten(path)}:${f.lineNumber + 1}`;
}

function shorten(path: string): string {
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  const i = path.search(/\/(hub|shared)\/(src|dist|bench)\//);
  return i >= 0 ? path.slice(i + 1).replace(/^(hub|shared)\/dist\//, '$1/') : path;
}

function area(f: CallFrame): string {
  if (!f.url) return f.functionName.startsWith('(') ? f.functionName : '(native)';
  const nm = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f.url);
  if (nm) return nm[1]!;
  const hub = /\/(hub|shared)\/dist\/(?:src\/)?((?:[^/]+\/)*?)[^/]+\.js$/.exec(f.url);
  if (hub) return `${hub[1]}/${hub[2]!.replace(/\/$/, '')}`;
  if (f.url.startsWith('node:')) return 'node internals';
  return f.url;
}

const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
const share = (us: number, total: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;

/** Lines of text summarising the profile in `file`. */
export function summariseProfile(file: string, top = 15): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
    .reduce((a, [, us]) => a + us, 0);
  const busy = total - idle;

  const key = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${where(f)}`;
  const selfBy = new Map<string, number>();
  const areaBy = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') continue;
    selfBy.set(key(f), (selfBy.get(key(f)) ?? 0) + us);
    areaBy.set(area(f), (areaBy.get(area(f)) ?? 0) + us);
  }

  // Inclusive time of hub/shared functions, each counted once per stack (no double count on recursion).
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!/\/(hub|shared)\/dist\//.test(f.url) || f.functionName === '') continue;
      const k = key(f);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + us);
    }
  }

  const topOf = (m: Map<string, number>, n: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  const out = [
    `profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, main thread busy ${(busy / 1e6).toFixed(1)} s (${share(busy, total).trim()}); shares below are of busy time`,
    '  by area (self time):',
    ...topOf(areaBy, 12).map(([k, us]) => `  ${ms(us)} ms ${share(us, busy)}  ${k}`),
    '  top functions (self time):',
    ...topOf(selfBy, top).map(([k, us]) => `  ${ms(us)} ms ${share(us, busy)}  ${k}`),
    '  hub/shared functions (inclusive time):',
    ...topOf(incl, top).map(([k, us]) => `  ${ms(us)} ms ${share(us, busy)}  ${k}`),
  ];
  return out;
}
