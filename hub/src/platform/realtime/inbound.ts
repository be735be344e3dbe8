import { randomUUID } from 'node:crypto';
import {
  AppError,
  CLOSE_CODES,
  type AuthFrame,
  type AuthResult,
  type OpFrame,
} from '@konsilium/shared';
import type { Authenticator, RequestMeta } from '../http/actor.js';
import type { Logger } from '../log/logger.js';
import { validate } from '../http/validate.js';
import type { Connection } from './connection.js';
import { errorReply, okReply, parseFrame, toAppError } from './frames.js';
import { planResume, sendBacklog } from './resume.js';
import type { OpHandler, ResumeSource } from './realtime.types.js';

/** Ops in flight per socket before the hub stops reading from it (backpressure). */
export const MAX_INFLIGHT = 64;
/** Frames buffered while the token is checked; more are refused. */
const MAX_EARLY_FRAMES = 16;
/** 1011: an unexpected failure on the hub; the client reconnects and resumes. */
export const INTERNAL_ERROR_CLOSE = 1011;

/** What the frame handlers need from the gateway. */
export interface GatewayCore {
  readonly log: Logger;
  readonly authenticate: Authenticator;
  op(name: string): OpHandler<unknown> | undefined;
  /** Registers an authenticated socket under its user (it then receives `publish`). */
  admit(conn: Connection): void;
  head(): Promise<number>;
  resumeSource(): ResumeSource | null;
}

export function metaOf(conn: Connection): RequestMeta {
  return { requestId: randomUUID(), ip: conn.ip, userAgent: conn.userAgent };
}

/** Handles one text frame from a client, whatever the connection's state. */
export function onFrame(core: GatewayCore, conn: Connection, raw: string): void {
  switch (conn.state) {
    case 'closed':
      return;
    case 'authenticating':
      if (conn.early && conn.early.length < MAX_EARLY_FRAMES) conn.early.push(raw);
      else refuse(conn, raw, new AppError('realtime.not_authenticated'));
      return;
    case 'auth':
      return onFirstFrame(core, conn, raw);
    default:
      return onLiveFrame(core, conn, raw);
  }
}

function onFirstFrame(core: GatewayCore, conn: Connection, raw: string): void {
  const inbound = parseFrame(raw);
  if (inbound.kind === 'auth') {
    void authenticate(core, conn, inbound.frame);
    return;
  }
  const id = inbound.kind === 'op' ? inbound.frame.id : inbound.id;
  const error = inbound.kind === 'op' ? new AppError('realtime.not_authenticated') : inbound.error;
  conn.send(errorReply(id, error));
  conn.close(CLOSE_CODES.authFailed, 'authentication required');
}

function onLiveFrame(core: GatewayCore, conn: Connection, raw: string): void {
  const inbound = parseFrame(raw);
  if (inbound.kind === 'op') {
    void runOp(core, conn, inbound.frame);
    return;
  }
  if (inbound.kind === 'auth') {
    conn.send(errorReply(inbound.frame.id, new AppError('realtime.already_authenticated')));
    return;
  }
  conn.send(errorReply(inbound.id, inbound.error));
  if (inbound.malformed && conn.noteMalformed(Date.now())) {
    core.log.debug({ userId: conn.actor?.userId }, 'realtime: too many malformed frames');
    conn.close(CLOSE_CODES.protocolViolation, 'too many malformed frames');
  }
}

function refuse(conn: Connection, raw: string, error: AppError): void {
  const inbound = parseFrame(raw);
  conn.send(errorReply(inbound.kind === 'bad' ? inbound.id : inbound.frame.id, error));
}

/**
 * Checks the token, registers the socket, answers with {@link AuthResult},
 * then sends the missed events (resume) before any live one.
 */
async function authenticate(core: GatewayCore, conn: Connection, frame: AuthFrame): Promise<void> {
  conn.state = 'authenticating';
  conn.early = [];
  if (conn.authTimer) clearTimeout(conn.authTimer);
  conn.authTimer = null;
  try {
    conn.actor = await core.authenticate(frame.token, metaOf(conn));
  } catch (raw) {
    const err = toAppError(raw);
    if (err.status >= 500) core.log.error({ err: raw }, 'realtime: authentication failed');
    conn.send(errorReply(frame.id, err));
    if (err.status >= 500) conn.close(INTERNAL_ERROR_CLOSE, 'try again');
    else conn.close(CLOSE_CODES.authFailed, 'authentication failed');
    return;
  }
  if (conn.ended) return;
  const actor = conn.actor;
  conn.token = frame.token;
  // From here on live events for the user are queued, so none is lost while
  // the head and backlog are read, and none overtakes the backlog.
  conn.holdLive(frame.resumeFrom ?? 0);
  core.admit(conn);
  const source = core.resumeSource();
  let replied = false;
  try {
    const head = await core.head();
    const plan =
      frame.resumeFrom !== undefined && source
        ? await planResume(source, actor.userId, frame.resumeFrom)
        : null;
    if (conn.ended) return;
    const result: AuthResult = {
      userId: actor.userId,
      sessionId: actor.sessionId,
      head,
      resumed: plan?.count ?? 0,
    };
    conn.send(okReply(frame.id, result));
    replied = true;
    conn.state = 'resuming';
    const early = conn.early ?? [];
    conn.early = null;
    for (const raw of early) onLiveFrame(core, conn, raw);
    if (plan && source) await sendBacklog(conn, source, plan);
    conn.flushQueue();
    core.log.debug(
      { userId: actor.userId, resumed: plan?.count ?? 0 },
      'realtime: connection authenticated',
    );
  } catch (raw) {
    core.log.error({ err: raw, userId: actor.userId }, 'realtime: resume failed');
    if (!replied) conn.send(errorReply(frame.id, toAppError(raw)));
    conn.close(INTERNAL_ERROR_CLOSE, 'resume failed, reconnect');
  }
}

/** Validates and runs one op; the reply carries the frame's id. */
async function runOp(core: GatewayCore, conn: Connection, frame: OpFrame): Promise<void> {
  const handler = core.op(frame.op);
  if (!handler) {
    conn.send(errorReply(frame.id, new AppError('realtime.unknown_op', { field: 'op' })));
    return;
  }
  const meta = metaOf(conn);
  conn.inflight += 1;
  if (conn.inflight >= MAX_INFLIGHT) conn.socket.pause();
  try {
    const data = validate(handler.schema, frame.data, 'data');
    const result = await handler.handle(conn.actor!, data, meta);
    conn.send(okReply(frame.id, result));
  } catch (raw) {
    const err = toAppError(raw);
    if (err.status >= 500) {
      core.log.error({ err: raw, op: frame.op, requestId: meta.requestId }, 'realtime op failed');
    }
    conn.send(errorReply(frame.id, err));
  } finally {
    conn.inflight -= 1;
    if (conn.inflight < MAX_INFLIGHT && conn.socket.isPaused) conn.socket.resume();
  }
}
