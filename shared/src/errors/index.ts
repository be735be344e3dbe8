export * from './catalogue.js';
export * from './app-error.js';
