import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Field paths whose values never reach a log: credentials, and anything that
 * can carry patient or personal data (names, identifiers, message bodies).
 */
export const REDACT_PATHS = [
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'authorization',
  'cookie',
  'body',
  'text',
  'lastName',
  'firstName',
  'middleName',
  'fullName',
  'patient',
  'externalIds',
  'phone',
  'email',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.authorization',
  '*.cookie',
  '*.body',
  '*.text',
  '*.lastName',
  '*.firstName',
  '*.middleName',
  '*.fullName',
  '*.patient',
  '*.externalIds',
  '*.phone',
  '*.email',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** The hub's logger: JSON lines, redacted. `destination` lets tests capture output. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'konsilium-hub' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
