/** Patient-context adapters (plain Node, no Electron). */
export type { PatientContext, PatientContextUpdate } from '../common/patient-context.js';
