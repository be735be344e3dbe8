export * from './common.js';
export * from './auth.js';
export * from './directory.js';
export * from './audit.js';
export * from './messaging.js';
export * from './realtime.js';
