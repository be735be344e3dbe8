import { Foundation1764200000000 } from './1764200000000-foundation.js';

/** Every migration, oldest first. The only way the schema changes. */
export const MIGRATIONS = [Foundation1764200000000];
