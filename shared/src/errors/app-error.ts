import { ERRORS, type ErrorCode } from './catalogue.js';

/** Options of an {@link AppError} beyond its code. */
export interface AppErrorOptions {
  /** Overrides the catalogue message; must never carry patient data. */
  message?: string;
  /** The offending input field, as a dotted path (`unitIds.2`). */
  field?: string;
  /** Extra machine-readable details returned to the client. */
  details?: Record<string, unknown>;
  /** Whether the message may be shown to the client (default: status < 500). */
  expose?: boolean;
  cause?: unknown;
}

/**
 * The one error type of the product. Its HTTP status comes from the catalogue;
 * `expose` says whether the message may leave the hub.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const entry = ERRORS[code];
    super(options.message ?? entry.message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = entry.status;
    this.expose = options.expose ?? entry.status < 500;
    this.field = options.field;
    this.details = options.details;
  }
}

/** True for an {@link AppError}, also across package copies. */
export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError || (value instanceof Error && value.name === 'AppError');
}

/** The wire shape of every error response. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    field?: string;
    details?: Record<string, unknown>;
    requestId: string;
  };
}
