/**
 * Loads the settings layers from where they live on this machine and keeps the
 * user layer on disk:
 * - machine policy: Windows registry `HKLM\Software\Policies\Konsilium`;
 *   elsewhere a JSON file (default `/etc/konsilium/desktop.json`);
 * - user: `settings.json` in Electron's userData folder.
 * No Electron import, so it is tested under plain Node with temp folders.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isSettingKey, parseSetting, type SettingKey } from '../../common/settings.js';
import { resolveSettings, type ResolvedSettings, type SettingsProblem } from './layers.js';
import { readRegistryPolicy } from './registry.js';

export const DEFAULT_MACHINE_CONFIG = '/etc/konsilium/desktop.json';

export interface ConfigStoreOptions {
  /** Folder holding the user layer (`settings.json`). */
  userDir: string;
  /** Reads the machine policy layer; default: registry on win32, else {@link machineFile}. */
  readPolicy?: () => Promise<Record<string, unknown>>;
  /** Machine config file outside Windows. Default `/etc/konsilium/desktop.json`. */
  machineFile?: string;
  platform?: NodeJS.Platform;
  /** Told about every ignored value (key and reason only). */
  onProblem?: (problem: SettingsProblem) => void;
}

export class SettingsError extends Error {
  constructor(
    readonly code: 'settings.locked' | 'settings.invalid' | 'settings.unknown_key',
    message: string,
    readonly key: string,
  ) {
    super(message);
  }
}

/** Reads a JSON object file; a missing file is `{}`, anything else unreadable is reported as a problem. */
async function readJsonObject(
  file: string,
  layer: 'policy' | 'user',
  report: (p: SettingsProblem) => void,
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      report({ layer, key: '*', error: `cannot read ${file}: ${(err as Error).message}` });
    }
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
    report({ layer, key: '*', error: `${file} is not a JSON object` });
  } catch {
    report({ layer, key: '*', error: `${file} is not valid JSON` });
  }
  return {};
}

export class ConfigStore {
  private resolved: ResolvedSettings = resolveSettings({});
  private user: Record<string, unknown> = {};
  private readonly listeners = new Set<(s: ResolvedSettings) => void>();
  private readonly userFile: string;

  constructor(private readonly options: ConfigStoreOptions) {
    this.userFile = join(options.userDir, 'settings.json');
  }

  /** Reads both layers (again); problems go to `onProblem`. */
  async load(): Promise<ResolvedSettings> {
    const problems: SettingsProblem[] = [];
    const report = (p: SettingsProblem) => problems.push(p);
    let policy: Record<string, unknown> = {};
    try {
      policy = await this.readPolicy(report);
    } catch (err) {
      report({ layer: 'policy', key: '*', error: `cannot read policy: ${(err as Error).message}` });
    }
    this.user = await readJsonObject(this.userFile, 'user', report);
    this.resolved = resolveSettings({ policy, user: this.user });
    for (const p of [...problems, ...this.resolved.problems]) this.options.onProblem?.(p);
    this.emit();
    return this.resolved;
  }

  get current(): ResolvedSettings {
    return this.resolved;
  }

  /** Changes a user setting; refuses locked keys and bad values (nothing is written then). */
  async set(key: string, value: unknown): Promise<ResolvedSettings> {
    if (!isSettingKey(key)) throw new SettingsError('settings.unknown_key', 'unknown setting', key);
    if (this.resolved.locked.includes(key)) {
      throw new SettingsError('settings.locked', 'set by machine policy', key);
    }
    const parsed = parseSetting(key, value);
    if (!parsed.ok) throw new SettingsError('settings.invalid', parsed.error, key);
    const user = { ...this.user, [key]: parsed.value };
    await mkdir(dirname(this.userFile), { recursive: true });
    const tmp = `${this.userFile}.tmp`;
    await writeFile(tmp, JSON.stringify(user, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.userFile);
    this.user = user;
    // Re-resolve with the policy locks we already have (policy did not change).
    const policyValues: Record<string, unknown> = {};
    for (const k of this.resolved.locked) policyValues[k] = this.resolved.values[k];
    this.resolved = resolveSettings({ policy: policyValues, user });
    this.emit();
    return this.resolved;
  }

  isLocked(key: SettingKey): boolean {
    return this.resolved.locked.includes(key);
  }

  /** Called with the resolved settings after every load/set. Returns an unsubscribe. */
  subscribe(listener: (s: ResolvedSettings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const l of this.listeners) l(this.resolved);
  }

  private async readPolicy(report: (p: SettingsProblem) => void): Promise<Record<string, unknown>> {
    if (this.options.readPolicy) return this.options.readPolicy();
    if ((this.options.platform ?? process.platform) === 'win32') return readRegistryPolicy();
    return readJsonObject(this.options.machineFile ?? DEFAULT_MACHINE_CONFIG, 'policy', report);
  }
}
