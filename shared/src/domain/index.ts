export * from './vocabularies.js';
export * from './text.js';
export * from './time-zone.js';
export * from './messaging.js';
