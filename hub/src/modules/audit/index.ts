export { AuditLog, type AuditEntry, type AuditOutcome } from './audit.service.js';
export { AuditRowEntity, AuditHeadEntity, type AuditRow } from './audit.entity.js';
export { verifyAuditChain, type VerifyResult } from './audit.verify.js';
export { rowHash, GENESIS_HASH } from './audit.hash.js';
export { auditRoutes } from './audit.routes.js';

import { AuditHeadEntity, AuditRowEntity } from './audit.entity.js';
export const AUDIT_ENTITIES = [AuditRowEntity, AuditHeadEntity];
