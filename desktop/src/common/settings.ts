/**
 * The desktop shell's settings: one flat key space shared by the three layers
 * (defaults < machine policy < user). Key names are also the registry value
 * names under `HKLM\Software\Policies\Konsilium` and the keys of the JSON
 * files, so IT sees the same names everywhere. Each key has its own schema so
 * one bad value is reported with its key and ignored while the rest load.
 */
import { z } from 'zod';

// `src/common` has no DOM or Node types; WHATWG URL exists in both runtimes.
declare const URL: new (input: string) => {
  protocol: string;
  username: string;
  password: string;
  origin: string;
};

export const DOCK_MODES = ['right', 'left', 'follow', 'floating'] as const;
export const LANGUAGES = ['ru', 'en'] as const;
export const THEMES = ['light', 'dark', 'contrast'] as const;
/** Which messages raise an OS notification (critical ones always do). */
export const NOTIFY_LEVELS = ['all', 'urgent', 'none'] as const;

/** Registry DWORDs arrive as numbers, JSON as booleans; text `true`/`false`/`1`/`0` is accepted too. */
const flag = z.preprocess((v) => {
  if (v === 1 || v === '1' || v === 'true') return true;
  if (v === 0 || v === '0' || v === 'false') return false;
  return v;
}, z.boolean());

/** Integers may arrive as registry DWORDs or as text from REG_SZ. */
const int = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v),
    z.number().int().min(min).max(max),
  );

const httpUrl = z
  .string()
  .trim()
  .max(2048)
  .url()
  .refine((s) => {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
  }, 'must be an http(s) URL without credentials');

const optionalHttpUrl = z.union([z.literal(''), httpUrl]);

const regexSource = z
  .string()
  .max(500)
  .refine((s) => {
    try {
      new RegExp(s, 'i');
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression');

/** Space- or comma-separated origins (`https://wiki.hospital.local`) that may open in the browser. */
const originList = z.preprocess(
  // A registry REG_MULTI_SZ arrives as a list.
  (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join(' ') : v),
  z
    .string()
    .max(4000)
    .refine(
      (s) =>
        splitList(s).every((o) => {
          try {
            const u = new URL(o);
            return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === o;
          } catch {
            return false;
          }
        }),
      'must be origins such as https://host, separated by spaces or commas',
    ),
);

/** Splits a space/comma separated list, dropping empty items. */
export function splitList(s: string): string[] {
  return s.split(/[\s,]+/).filter((x) => x.length > 0);
}

export const SETTINGS_SCHEMAS = {
  /** The hub this workstation talks to; the window loads its web client from here. */
  hubUrl: httpUrl,
  dockMode: z.enum(DOCK_MODES),
  /** Sidebar width in DIP (device-independent pixels). */
  dockWidth: int(320, 640),
  /** Regular expression (case-insensitive) matched against the MIS window's title or class (follow mode). */
  misWindowPattern: regexSource,
  language: z.enum(LANGUAGES),
  /** UI colour theme (`contrast`: the high-contrast theme). */
  'ui.theme': z.enum(THEMES),
  'ui.notify': z.enum(NOTIFY_LEVELS),
  /** Whether OS notifications may show patient details and message text (off: "New urgent message"). */
  'notifications.showPatientData': flag,
  'notifications.sound': flag,
  /** How often an unacknowledged critical alert is shown again, in seconds. */
  'notifications.repeatSeconds': int(10, 3600),
  /** FHIRcast hub of the MIS (empty: FHIRcast off). */
  'context.fhircast.hubUrl': optionalHttpUrl,
  /** The FHIRcast topic (session) of this workstation. */
  'context.fhircast.topic': z.string().trim().max(1024),
  /** Identifier system taken from `Patient.identifier`. */
  'context.fhircast.identifierSystem': z.string().trim().max(512),
  /** System given to `Patient.id` when the patient has no identifier. */
  'context.fhircast.resourceIdSystem': z.string().trim().max(512),
  /** Subscription lease to ask for, seconds. */
  'context.fhircast.leaseSeconds': int(60, 86_400),
  /** Identifier system assumed for a deep link or command line that sends only a value. */
  'context.defaultSystem': z.string().trim().max(512),
  'context.loopback.enabled': flag,
  'context.loopback.port': int(1024, 65535),
  /** Per-install secret the MIS sends to the loopback listener (empty, or at least 22 characters). */
  'context.loopback.secret': z.union([z.literal(''), z.string().min(22).max(512)]),
  'externalLinks.allow': originList,
} as const;

export type SettingKey = keyof typeof SETTINGS_SCHEMAS;
export type Settings = { [K in SettingKey]: z.output<(typeof SETTINGS_SCHEMAS)[K]> };
export const SETTING_KEYS = Object.keys(SETTINGS_SCHEMAS) as SettingKey[];

export const DEFAULT_SETTINGS: Settings = {
  hubUrl: 'http://127.0.0.1:8080/',
  dockMode: 'right',
  dockWidth: 400,
  misWindowPattern: '',
  language: 'ru',
  'ui.theme': 'light',
  'ui.notify': 'all',
  'notifications.showPatientData': false,
  'notifications.sound': true,
  'notifications.repeatSeconds': 60,
  'context.fhircast.hubUrl': '',
  'context.fhircast.topic': '',
  'context.fhircast.identifierSystem': '',
  'context.fhircast.resourceIdSystem': '',
  'context.fhircast.leaseSeconds': 3600,
  'context.defaultSystem': '',
  'context.loopback.enabled': false,
  'context.loopback.port': 47815,
  'context.loopback.secret': '',
  'externalLinks.allow': '',
};

/**
 * Names the web client uses for settings the shell keeps under another key
 * (`setSetting('ui.locale', 'en')` sets `language`).
 */
export const SETTING_ALIASES: Readonly<Record<string, SettingKey>> = {
  'ui.locale': 'language',
  'ui.sound': 'notifications.sound',
};

/** The setting a name refers to (itself or through an alias), or null for an unknown name. */
export function resolveSettingKey(key: unknown): SettingKey | null {
  if (isSettingKey(key)) return key;
  if (typeof key === 'string' && Object.prototype.hasOwnProperty.call(SETTING_ALIASES, key)) {
    return SETTING_ALIASES[key]!;
  }
  return null;
}

export function isSettingKey(key: unknown): key is SettingKey {
  return typeof key === 'string' && Object.prototype.hasOwnProperty.call(SETTINGS_SCHEMAS, key);
}

/** Validates one value for its key: the parsed value, or a message naming the problem. */
export function parseSetting<K extends SettingKey>(
  key: K,
  value: unknown,
): { ok: true; value: Settings[K] } | { ok: false; error: string } {
  const r = SETTINGS_SCHEMAS[key].safeParse(value);
  if (r.success) return { ok: true, value: r.data as Settings[K] };
  return { ok: false, error: r.error.issues.map((i) => i.message).join('; ') };
}
