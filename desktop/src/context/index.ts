/**
 * Patient-context adapters (plain Node, no Electron): a `konsilium://` deep
 * link or command line, a FHIRcast (STU3) subscription and a loopback HTTP
 * listener, combined by {@link createContextService} into one current
 * `PatientContextUpdate`. See docs/adr/0014-patient-context-adapters.md.
 */
export type { PatientContext, PatientContextUpdate } from '../common/patient-context.js';
export { createContextService } from './service.js';
export type { ContextService, ContextServiceOptions } from './service.js';
export { contextConfigSchema, fhircastConfigSchema, loopbackConfigSchema } from './config.js';
export type { ContextConfig } from './config.js';
export { parsePatientArgv, parsePatientUrl, DEEP_LINK_SCHEME } from './url.js';
export type { ParseOptions } from './url.js';
export type { ContextLog, ParseResult, Scheduler } from './common.js';
export { FhircastAdapter, DEFAULT_FHIRCAST_EVENTS } from './fhircast.js';
export type { FhircastOptions } from './fhircast.js';
export { LoopbackListener, generateLoopbackSecret, LOOPBACK_HOST } from './loopback.js';
