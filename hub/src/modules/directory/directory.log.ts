import type { Logger } from 'pino';

/** The logger the directory writes to (never names, phones or logins: ids and counts only). */
export type Log = Pick<Logger, 'info' | 'warn' | 'error'>;
