import { readFileSync } from 'node:fs';
import {
  HubConfigObject,
  HubConfigSchema,
  type HubConfig,
  type HubConfigInput,
} from './config.schema.js';

/** Thrown when configuration is invalid; names the key and its source. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const PREFIX = 'KONSILIUM_';

/** `dataDir` → `KONSILIUM_DATA_DIR`. */
export function envName(key: string): string {
  return PREFIX + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const keys = Object.keys(HubConfigObject.shape);
  const out: Record<string, string> = {};
  const known = new Set(keys.map(envName));
  for (const key of keys) {
    const value = env[envName(key)];
    if (value !== undefined && value !== '') out[key] = value;
  }
  for (const name of Object.keys(env)) {
    if (
      name.startsWith(PREFIX) &&
      !known.has(name) &&
      name !== 'KONSILIUM_CONFIG' &&
      !name.startsWith('KONSILIUM_TEST_')
    ) {
      throw new ConfigError(`Unknown configuration variable ${name}`);
    }
  }
  return out;
}

function fromFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('the top level must be an object');
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`Config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Validates a configuration object; throws {@link ConfigError} naming the first bad key
 * (as its environment variable when it came from there).
 */
export function parseConfig(
  input: HubConfigInput | Record<string, unknown>,
  sources: Record<string, string> = {},
): HubConfig {
  const result = HubConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key =
    issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '');
  const where = sources[key] ?? key;
  throw new ConfigError(`Invalid configuration ${where}: ${issue.message}`);
}

/** Loads the config file named by `KONSILIUM_CONFIG` (if any), overlays `KONSILIUM_*` and validates. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: HubConfigInput = {},
): HubConfig {
  const file = env.KONSILIUM_CONFIG ? fromFile(env.KONSILIUM_CONFIG) : {};
  const vars = fromEnv(env);
  const sources: Record<string, string> = {};
  for (const key of Object.keys(file)) sources[key] = `${key} (in ${env.KONSILIUM_CONFIG})`;
  for (const key of Object.keys(vars)) sources[key] = envName(key);
  return parseConfig({ ...file, ...vars, ...overrides }, sources);
}
