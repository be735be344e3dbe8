import { ERRORS } from '../errors/index.js';

/**
 * Codes the client raises itself, for failures that never reached the hub
 * (not in the hub's catalogue): `client.disconnected`, `client.timeout`,
 * `client.not_connected`, `client.closed`, `client.bad_response`.
 */
export type ClientErrorCode =
  | 'client.disconnected'
  | 'client.timeout'
  | 'client.not_connected'
  | 'client.closed'
  | 'client.bad_response';

/** An error from the hub (REST or WebSocket reply) or from the transport. */
export class HubError extends Error {
  readonly code: string;
  /** HTTP status (REST), the catalogue status (WebSocket replies), or 0 for transport errors. */
  readonly status: number;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly requestId: string | undefined;

  constructor(
    code: string,
    message: string,
    extra: {
      status?: number;
      field?: string;
      details?: Record<string, unknown>;
      requestId?: string;
    } = {},
  ) {
    super(message);
    this.name = 'HubError';
    this.code = code;
    this.status = extra.status ?? (ERRORS as Record<string, { status: number }>)[code]?.status ?? 0;
    this.field = extra.field;
    this.details = extra.details;
    this.requestId = extra.requestId;
  }

  /** A failure of the transport (no answer from the hub): worth retrying. */
  get transient(): boolean {
    return this.code.startsWith('client.') || this.status >= 500 || this.status === 429;
  }

  /** Builds one from an error body `{ code, message, field?, details?, requestId? }`. */
  static from(body: unknown, status?: number): HubError {
    const e = (body ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return new HubError(str(e.code) ?? 'client.bad_response', str(e.message) ?? 'Request failed', {
      ...(status !== undefined ? { status } : {}),
      ...(str(e.field) !== undefined ? { field: str(e.field)! } : {}),
      ...(typeof e.details === 'object' && e.details !== null
        ? { details: e.details as Record<string, unknown> }
        : {}),
      ...(str(e.requestId) !== undefined ? { requestId: str(e.requestId)! } : {}),
    });
  }
}
