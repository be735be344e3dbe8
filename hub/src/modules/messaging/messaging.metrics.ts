import { And, In, IsNull, LessThan, MoreThanOrEqual } from 'typeorm';
import type { Database } from '../../platform/db/database.js';
import {
  AckEntity,
  ConversationEntity,
  MemberEntity,
  MessageEntity,
  StreamEventEntity,
  type AckRow,
  type MemberRow,
} from './messaging.entity.js';

/** One message of a metrics window (ADM-1). */
export interface MetricsMessage {
  id: string;
  conversationId: string;
  unitId: string | null;
  authorId: string;
  priority: string;
  kind: string;
  roleId: string | null;
  createdAt: string;
  recipients: { userId: string; deliveredAt: string | null; readAt: string | null }[];
  acks: { userId: string; response: string; at: string }[];
}

interface Receipt {
  deliveredSeq: number;
  deliveredAt: string | null;
  readSeq: number;
  readAt: string | null;
}

async function chunked<T>(ids: string[], load: (part: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += 500) out.push(...(await load(ids.slice(i, i + 500))));
  return out;
}

/**
 * The messages created in [from, to) with, per recipient, when their delivered
 * and read watermarks first passed the message (from the stored
 * `message.receipt` stream events; the member row's watermark when there is
 * none), and the acknowledgements. For the metrics endpoint.
 */
export async function metricsWindow(
  db: Database,
  from: string,
  to: string,
): Promise<{ messages: MetricsMessage[] }> {
  const m = db.manager;
  const rows = await m.find(MessageEntity, {
    where: { createdAt: And(MoreThanOrEqual(from), LessThan(to)), system: IsNull() },
    order: { createdAt: 'ASC' },
  });
  if (rows.length === 0) return { messages: [] };
  const convIds = [...new Set(rows.map((r) => r.conversationId))];
  const convs = new Map(
    (await chunked(convIds, (p) => m.findBy(ConversationEntity, { id: In(p) }))).map((c) => [
      c.id,
      c,
    ]),
  );
  const members = new Map<string, MemberRow[]>();
  for (const r of await chunked(convIds, (p) => m.findBy(MemberEntity, { conversationId: In(p) })))
    (
      members.get(r.conversationId) ?? members.set(r.conversationId, []).get(r.conversationId)!
    ).push(r);
  const receipts = new Map<string, Receipt[]>();
  const events = await chunked(convIds, (p) =>
    m.find(StreamEventEntity, {
      where: { conversationId: In(p), type: 'message.receipt', at: MoreThanOrEqual(from) },
      order: { seq: 'ASC' },
    }),
  );
  for (const e of events) {
    const d = JSON.parse(e.data) as Receipt & { userId: string };
    const k = `${e.conversationId} ${d.userId}`;
    (receipts.get(k) ?? receipts.set(k, []).get(k)!).push(d);
  }
  const acks = new Map<string, AckRow[]>();
  for (const a of await chunked(
    rows.map((r) => r.id),
    (p) => m.findBy(AckEntity, { messageId: In(p) }),
  ))
    (acks.get(a.messageId) ?? acks.set(a.messageId, []).get(a.messageId)!).push(a);

  const messages = rows.map((r): MetricsMessage => {
    const seq = Number(r.seq);
    const conv = convs.get(r.conversationId);
    const roleId = r.resolution
      ? ((JSON.parse(r.resolution) as { roleId?: string }).roleId ?? null)
      : null;
    const recipients = (members.get(r.conversationId) ?? [])
      .filter(
        (mb) =>
          mb.userId !== r.authorId &&
          Number(mb.joinedSeq) <= seq &&
          (mb.leftSeq === null || Number(mb.leftSeq) > seq),
      )
      .map((mb) => {
        const list = receipts.get(`${r.conversationId} ${mb.userId}`) ?? [];
        const delivered =
          list.find((x) => x.deliveredSeq >= seq)?.deliveredAt ??
          (list.length === 0 && Number(mb.deliveredSeq) >= seq ? mb.deliveredAt : null);
        const read =
          list.find((x) => x.readSeq >= seq)?.readAt ??
          (list.length === 0 && Number(mb.readSeq) >= seq ? mb.readAt : null);
        return { userId: mb.userId, deliveredAt: delivered, readAt: read };
      });
    return {
      id: r.id,
      conversationId: r.conversationId,
      unitId: conv?.unitId ?? null,
      authorId: r.authorId,
      priority: r.priority,
      kind: r.kind,
      roleId: roleId ?? conv?.roleId ?? null,
      createdAt: r.createdAt,
      recipients,
      acks: (acks.get(r.id) ?? []).map((a) => ({
        userId: a.userId,
        response: a.response,
        at: a.at,
      })),
    };
  });
  return { messages };
}
