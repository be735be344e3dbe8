import type { EventFrame } from '@konsilium/shared';
import type { Connection } from './connection.js';
import type { ResumeSource } from './realtime.types.js';

/** Events read from the resume source per call. */
export const RESUME_PAGE = 500;

/** What a resume will send: `count` events with `afterSeq < seq <= upTo`. */
export interface ResumePlan {
  userId: string;
  afterSeq: number;
  upTo: number;
  count: number;
  /** The whole backlog when it fit in one page (the usual case): no second read. */
  held: EventFrame[] | null;
}

/**
 * Counts the backlog so the auth reply can say how many events follow. A
 * backlog of one page is kept and sent as is; a longer one is read again page
 * by page when sent, so memory stays at one page whatever the client missed.
 */
export async function planResume(
  source: ResumeSource,
  userId: string,
  afterSeq: number,
): Promise<ResumePlan> {
  const first = await source(userId, afterSeq, RESUME_PAGE);
  if (first.length < RESUME_PAGE) {
    return {
      userId,
      afterSeq,
      upTo: first.at(-1)?.seq ?? afterSeq,
      count: first.length,
      held: first,
    };
  }
  let count = first.length;
  let upTo = first.at(-1)!.seq;
  for (;;) {
    const page = await source(userId, upTo, RESUME_PAGE);
    count += page.length;
    if (page.length > 0) upTo = page.at(-1)!.seq;
    if (page.length < RESUME_PAGE) break;
  }
  return { userId, afterSeq, upTo, count, held: null };
}

/**
 * Sends the planned backlog in order, waiting for the socket to drain when its
 * buffer fills. Stops early if the socket closes.
 */
export async function sendBacklog(
  conn: Connection,
  source: ResumeSource,
  plan: ResumePlan,
): Promise<void> {
  if (plan.held) {
    await sendPage(conn, plan.held, plan.upTo);
    return;
  }
  let after = plan.afterSeq;
  while (conn.open && after < plan.upTo) {
    const page = await source(plan.userId, after, RESUME_PAGE);
    if (page.length === 0) break;
    await sendPage(conn, page, plan.upTo);
    after = page.at(-1)!.seq;
  }
}

async function sendPage(conn: Connection, page: EventFrame[], upTo: number): Promise<void> {
  for (const event of page) {
    if (!conn.open || event.seq > upTo) return;
    const wait = conn.sendBacklog(event.seq, JSON.stringify(event));
    if (wait) await wait;
  }
}
