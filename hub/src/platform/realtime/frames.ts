import { AppError, AuthFrame, OpFrame, isAppError } from '@konsilium/shared';
import { validate } from '../http/validate.js';

/** A client frame as the gateway sees it after parsing. */
export type Inbound =
  | { kind: 'auth'; frame: AuthFrame }
  | { kind: 'op'; frame: OpFrame }
  /** Not usable: `id` is the frame's id when one could be read (the error reply's `re`). */
  | { kind: 'bad'; id: string | null; error: AppError; malformed: boolean };

/**
 * Parses one text frame. Never throws: bad JSON or a frame of the wrong shape
 * becomes `realtime.malformed_frame`; an `auth` frame with bad fields
 * `validation.invalid` naming the field.
 */
export function parseFrame(raw: string): Inbound {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return malformed(null, 'The frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return malformed(null, 'The frame must be a JSON object');
  }
  const record = value as Record<string, unknown>;
  const id =
    typeof record.id === 'string' && record.id.length > 0 && record.id.length <= 64
      ? record.id
      : null;
  if (record.op === 'auth') {
    try {
      return { kind: 'auth', frame: validate(AuthFrame, value, 'auth frame') };
    } catch (err) {
      return { kind: 'bad', id, error: err as AppError, malformed: false };
    }
  }
  const parsed = OpFrame.safeParse(value);
  if (parsed.success) return { kind: 'op', frame: parsed.data };
  const issue = parsed.error.issues[0];
  const field =
    issue?.code === 'unrecognized_keys'
      ? issue.keys[0]
      : issue?.path.length
        ? issue.path.join('.')
        : undefined;
  return malformed(
    id,
    `The frame must be {"id","op","data"?}${field ? `: bad field "${field}"` : ''}`,
    field,
  );
}

function malformed(id: string | null, message: string, field?: string): Inbound {
  const error = new AppError('realtime.malformed_frame', {
    message,
    ...(field !== undefined ? { field } : {}),
  });
  return { kind: 'bad', id, error, malformed: true };
}

/** JSON text already made for an object that is not changed any more (an event's data). */
const serialised = new WeakMap<object, string>();

/**
 * Remembers `value`'s JSON: a reply whose data is `value` (a sent message is
 * both the `message.created` event and the `message.send` reply) uses it
 * instead of serialising again. `value` must not change afterwards.
 */
export function rememberJson(value: object, json: string): void {
  serialised.set(value, json);
}

/** `{"re","ok":true,"data"?}` as text. */
export function okReply(re: string, data: unknown): string {
  if (data === undefined) return JSON.stringify({ re, ok: true });
  const known = typeof data === 'object' && data !== null ? serialised.get(data) : undefined;
  if (known !== undefined) return `{"re":${JSON.stringify(re)},"ok":true,"data":${known}}`;
  return JSON.stringify({ re, ok: true, data });
}

/**
 * `{"re","ok":false,"error":{code,message,field?,details?}}` as text. `re` is
 * null when the frame had no readable id. Unexposed errors carry only the
 * generic message: no stack or internal detail leaves the hub.
 */
export function errorReply(re: string | null, err: AppError): string {
  return JSON.stringify({
    re,
    ok: false,
    error: {
      code: err.code,
      message: err.expose ? err.message : 'Internal error',
      ...(err.field !== undefined ? { field: err.field } : {}),
      ...(err.details !== undefined && err.expose ? { details: err.details } : {}),
    },
  });
}

/** Any thrown value as an AppError; anything unexpected is an unexposed `internal.error`. */
export function toAppError(err: unknown): AppError {
  return isAppError(err) ? err : new AppError('internal.error', { cause: err, expose: false });
}
