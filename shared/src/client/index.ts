export * from './types.js';
export * from './hub-error.js';
export * from './outbox.js';
export * from './hub-client.js';
