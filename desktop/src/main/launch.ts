/**
 * Start-up decisions that do not need Electron, kept pure for tests: how to
 * register the `konsilium://` protocol (a development run must pass its entry
 * script) and which settings feed the patient-context service.
 */
import type { Settings } from '../common/settings.js';

export const PROTOCOL = 'konsilium';

/**
 * Arguments for `app.setAsDefaultProtocolClient`: a packaged app registers
 * itself; `electron path/to/app` (defaultApp) must register the Electron
 * binary with the app path so the OS starts the right thing.
 */
export function protocolClientArgs(
  defaultApp: boolean,
  execPath: string,
  argv: readonly string[],
  resolve: (p: string) => string,
): [string] | [string, string, string[]] {
  if (defaultApp && argv.length >= 2 && argv[1]) return [PROTOCOL, execPath, [resolve(argv[1])]];
  return [PROTOCOL];
}

/** What the shell forwards to the context service for one launch (first or second instance). */
export function contextArgs(argv: readonly string[]): string[] {
  // Chromium adds its own switches (`--allow-file-access-from-files`, …) to a second
  // instance's argv; the context parser ignores what it does not know, so pass all after the exe.
  return argv.slice(1);
}

/** The context-service options derived from settings (absent adapters are off). */
export interface ContextSettings {
  fhircast?: {
    hubUrl: string;
    topic: string;
    leaseSeconds: number;
    identifierSystem?: string;
    resourceIdSystem?: string;
  };
  loopback?: { port: number; secret: string };
  defaultSystem?: string;
}

export function contextSettings(s: Settings): ContextSettings {
  const out: ContextSettings = {};
  if (s['context.fhircast.hubUrl'] && s['context.fhircast.topic']) {
    out.fhircast = {
      hubUrl: s['context.fhircast.hubUrl'],
      topic: s['context.fhircast.topic'],
      leaseSeconds: s['context.fhircast.leaseSeconds'],
      ...(s['context.fhircast.identifierSystem']
        ? { identifierSystem: s['context.fhircast.identifierSystem'] }
        : {}),
      ...(s['context.fhircast.resourceIdSystem']
        ? { resourceIdSystem: s['context.fhircast.resourceIdSystem'] }
        : {}),
    };
  }
  if (s['context.loopback.enabled'] && s['context.loopback.secret'] !== '') {
    out.loopback = { port: s['context.loopback.port'], secret: s['context.loopback.secret'] };
  }
  if (s['context.defaultSystem']) out.defaultSystem = s['context.defaultSystem'];
  return out;
}
