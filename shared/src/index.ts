export * from './errors/index.js';
export * from './domain/index.js';
export * from './protocol/index.js';
export * from './client/index.js';
export * from './rosters.js';
export * from './results.js';
export * from './schemas/metrics.js';
export * from './schemas/notifications.js';
