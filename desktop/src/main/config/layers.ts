/**
 * Settings precedence: defaults < machine policy < user. A key that machine
 * policy sets is locked: the user layer's value for it is ignored and Settings
 * shows it read-only. Every value is validated per key; a bad one is reported
 * with its layer and key and ignored (the lower layer's value stays), so a typo
 * in a policy never stops the app.
 */
import {
  DEFAULT_SETTINGS,
  isSettingKey,
  parseSetting,
  type SettingKey,
  type Settings,
} from '../../common/settings.js';

export type LayerName = 'policy' | 'user';

export interface SettingsProblem {
  layer: LayerName;
  key: string;
  /** Why the value was ignored (never the value itself: it could be a secret). */
  error: string;
}

export interface ResolvedSettings {
  values: Settings;
  /** Keys set by machine policy, read-only for the user. */
  locked: SettingKey[];
  problems: SettingsProblem[];
}

/** Merges the layers; `policy` and `user` are raw key → value maps as read from their sources. */
export function resolveSettings(layers: {
  policy?: Record<string, unknown>;
  user?: Record<string, unknown>;
}): ResolvedSettings {
  const values: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  const locked: SettingKey[] = [];
  const problems: SettingsProblem[] = [];
  const apply = (layer: LayerName, raw: Record<string, unknown> | undefined) => {
    for (const [key, value] of Object.entries(raw ?? {})) {
      if (!isSettingKey(key)) {
        problems.push({ layer, key, error: 'unknown setting' });
        continue;
      }
      if (layer === 'user' && locked.includes(key)) continue;
      const parsed = parseSetting(key, value);
      if (!parsed.ok) {
        problems.push({ layer, key, error: parsed.error });
        continue;
      }
      values[key] = parsed.value;
      if (layer === 'policy') locked.push(key);
    }
  };
  apply('policy', layers.policy);
  apply('user', layers.user);
  return { values: values as Settings, locked, problems };
}
