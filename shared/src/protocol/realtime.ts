import { z } from 'zod';

/** The first frame of every connection. `resumeFrom`: the last `seq` the client saw. */
export const AuthFrame = z
  .object({
    id: z.string().min(1).max(64),
    op: z.literal('auth'),
    token: z.string().min(16).max(200),
    resumeFrom: z.number().int().min(0).optional(),
  })
  .strict();
export type AuthFrame = z.infer<typeof AuthFrame>;

/** Any client → hub frame after `auth`: an operation with its arguments in `data`. */
export const OpFrame = z
  .object({
    id: z.string().min(1).max(64),
    op: z.string().regex(/^[a-z]+(\.[a-z_]+)+$/, 'must be <domain>.<verb>'),
    data: z.unknown().optional(),
  })
  .strict();
export type OpFrame = z.infer<typeof OpFrame>;

/** The hub's answer to a client frame. */
export type ReplyFrame =
  | { re: string; ok: true; data?: unknown }
  | { re: string; ok: false; error: { code: string; message: string; field?: string } };

/** An event for the user; `seq` increases for each user and survives restarts. */
export interface EventFrame<T = unknown> {
  seq: number;
  event: string;
  data: T;
}

/** What `auth` answers: who you are and where the stream stands now. */
export interface AuthResult {
  userId: string;
  sessionId: string;
  /** The newest `seq` in the hub's stream when the connection was authenticated. */
  head: number;
  /** How many missed events follow (resume); they arrive before any live event. */
  resumed: number;
}
