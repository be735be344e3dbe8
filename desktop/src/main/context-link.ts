/**
 * The patient-context service (`src/context`) as the shell sees it. The shell
 * depends only on this structural interface and loads the module at run time,
 * so the context adapters stay an Electron-free package of their own.
 */
import type { PatientContextUpdate } from '../common/patient-context.js';
import type { ContextSettings } from './launch.js';
import type { Log } from './log.js';

export interface ContextService {
  start(): Promise<void>;
  stop(): Promise<void>;
  current(): PatientContextUpdate;
  subscribe(listener: (update: PatientContextUpdate) => void): () => void;
  acceptUrl(url: string): boolean;
  acceptArgv(argv: readonly string[]): boolean;
}

type Factory = (opts: ContextSettings & { log: Log; now?: () => Date }) => ContextService;

/** A service that holds no context, used when the adapters module cannot be loaded. */
function inertService(log: Log): ContextService {
  const none: PatientContextUpdate = { state: 'none', context: null };
  return {
    start: async () => log.warn({}, 'patient-context adapters unavailable'),
    stop: async () => undefined,
    current: () => none,
    subscribe: () => () => undefined,
    acceptUrl: () => false,
    acceptArgv: () => false,
  };
}

export async function loadContextService(
  settings: ContextSettings,
  log: Log,
): Promise<ContextService> {
  try {
    const mod = (await import('../context/index.js')) as unknown as {
      createContextService?: Factory;
    };
    if (typeof mod.createContextService === 'function') {
      return mod.createContextService({ ...settings, log });
    }
  } catch (err) {
    log.error({ err }, 'cannot load patient-context adapters');
  }
  return inertService(log);
}
