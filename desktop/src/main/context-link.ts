/**
 * The patient-context service (`src/context`, Electron-free) as the shell
 * wires it: settings from the configuration layers plus the shell's logger.
 */
import { createContextService, type ContextService } from '../context/index.js';
import type { ContextSettings } from './launch.js';
import type { Log } from './log.js';

export type { ContextService };

export function loadContextService(settings: ContextSettings, log: Log): ContextService {
  return createContextService({ ...settings, log });
}
