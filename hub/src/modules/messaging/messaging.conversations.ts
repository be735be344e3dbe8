import { randomUUID } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import {
  AppError,
  type ConversationView,
  type CreateConversationRequest,
  type MessageKind,
  type Priority,
} from '@konsilium/shared';
import { callContext, SYSTEM, type Actor, type RequestMeta } from '../../platform/http/actor.js';
import { insertMany } from '../../platform/db/insert-many.js';
import { together } from '../../platform/db/together.js';
import type { AuditEntry } from '../audit/index.js';
import type { Messages, SendItem } from './messaging.messages.js';
import type { Access } from './messaging.access.js';
import {
  ConversationEntity,
  MemberEntity,
  MessageEntity,
  type ConversationRow,
  type MemberRow,
  type MessageRow,
} from './messaging.entity.js';
import type { Clock } from '../../platform/clock.js';
import type { MessagingOnCall, MessagingPeople, MessagingTeams } from './messaging.ports.js';
import type { BulkKind, BulkOutcome, StreamTx, StreamWriter } from './messaging.stream.js';
import { activeMembers, conversationView, messageView } from './messaging.views.js';

type Role = 'member' | 'admin';

/** A keyed conversation with its first message, from a hub-internal sender ({@link Conversations.openMany}). */
export interface SystemOpen {
  key: string;
  /** The id of the conversation if it is new (derived by the caller, so a retry finds it). */
  conversationId: string;
  title: string;
  /** Its members besides the sender. */
  memberIds: string[];
  unitId?: string;
  patient?: { system: string; value: string; label?: string };
  message: { id: string; text: string; priority: Priority; kind: MessageKind };
  /** Its own request (audit correlation); else the call's. */
  meta?: RequestMeta;
}

/** What the caller's own writes see inside {@link Conversations.openMany}'s transaction. */
export interface SystemOpenTx {
  tx: EntityManager;
  /** The keys written in this transaction (the others were skipped). */
  opened: string[];
  /** Queues an audit row of the batch. */
  audit(entry: AuditEntry): void;
  /** A per-user stream event, delivered after the commit. */
  toUser(userId: string, type: string, data: unknown): void;
  afterCommit(fn: () => void): void;
}

/** A checked conversation create waiting for the stream's batch. */
interface CreateItem {
  actor: Actor;
  input: CreateConversationRequest;
  meta: RequestMeta;
  /** The members besides the creator. */
  recipients: string[];
  /** Direct pair or hub-internal key (unique), or null. */
  directKey: string | null;
  /** The id to give it (hub-internal callers); else a new random one. */
  id?: string;
}

interface CreateResult {
  created: boolean;
  view: ConversationView;
}

const MEMBER_ACTIONS = {
  invited: 'invite',
  joined: 'join',
  left: 'leave',
  removed: 'remove',
  escalated: 'add',
} as const;

/** Conversations and membership (MSG-1, MSG-6, MSG-9): create, invite, join, leave, remove. */
export class Conversations {
  constructor(
    private readonly stream: StreamWriter,
    private readonly access: Access,
    private readonly people: MessagingPeople,
    private readonly oncall: MessagingOnCall,
    private readonly teams: MessagingTeams,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates a conversation; a direct one that exists already is returned
   * (`created: false`). `options.key` (hub-internal, e.g. one conversation per
   * critical result) makes a group or channel unique the same way: a second
   * create with the key returns the first conversation.
   */
  async create(
    actor: Actor,
    input: CreateConversationRequest,
    meta: RequestMeta,
    options: { key?: string } = {},
  ): Promise<{ created: boolean; view: ConversationView }> {
    if (input.roleId) return this.createWithRole(actor, input, input.roleId, meta);
    if (input.teamId && input.kind !== 'group') {
      throw new AppError('messaging.invalid_members', {
        field: 'teamId',
        message: 'A team is addressed by a group conversation',
      });
    }
    const team = input.teamId
      ? (await this.teams.members(input.teamId, this.clock.now())).map((p) => p.id)
      : [];
    const others = [...new Set([...input.memberIds, ...team])].filter((id) => id !== actor.userId);
    const active = await this.people.activeIds(others);
    const missing = input.memberIds.findIndex((id) => id !== actor.userId && !active.has(id));
    if (missing >= 0) {
      throw new AppError('messaging.user_not_found', { field: `memberIds.${missing}` });
    }
    if (input.teamId && team.some((id) => id !== actor.userId && !active.has(id))) {
      throw new AppError('messaging.user_not_found', {
        field: 'teamId',
        message: 'A member of the team is not an active staff member',
      });
    }
    let recipients = others;
    let directKey: string | null = options.key ? `key:${options.key}` : null;
    switch (input.kind) {
      case 'direct':
        if (others.length !== 1) {
          throw new AppError('messaging.invalid_members', {
            field: 'memberIds',
            message: 'A direct conversation has exactly one other member',
          });
        }
        directKey = [actor.userId, others[0]!].sort().join(':');
        break;
      case 'group':
        if (others.length === 0) {
          throw new AppError('messaging.invalid_members', {
            field: input.teamId ? 'teamId' : 'memberIds',
            message: 'A group needs at least one other member',
          });
        }
        break;
      case 'channel':
        if (!input.unitId && !input.title) {
          throw new AppError('messaging.invalid_members', {
            field: 'title',
            message: 'A channel needs a title or a unit',
          });
        }
        break;
      case 'broadcast':
        if (!actor.permissions.has('messaging.broadcast')) throw new AppError('auth.forbidden');
        recipients = [
          ...new Set([
            ...others,
            ...(input.audience ? await this.people.audience(input.audience) : []),
            ...(await this.teamAudience(input.audience?.teamIds ?? [])),
          ]),
        ].filter((id) => id !== actor.userId);
        if (recipients.length === 0) {
          throw new AppError('messaging.invalid_members', {
            field: 'audience',
            message: 'A broadcast needs at least one recipient',
          });
        }
        break;
    }
    return this.stream.submitBulk(this.createKind, { actor, input, meta, recipients, directKey });
  }

  /**
   * Creating conversations: alone, or many at once (alerts opening together)
   * with one lookup of their keys and multi-row inserts. A key that exists
   * already, or twice in a run, is answered alone (it finds the first).
   */
  private readonly createKind: BulkKind<CreateItem, CreateResult> = {
    single: (item) => async (s) => {
      if (item.directKey) {
        const existing = await s.tx.findOneBy(ConversationEntity, { directKey: item.directKey });
        if (existing) {
          return {
            created: false,
            view: conversationView(existing, await activeMembers(s.tx, existing.id)),
          };
        }
      }
      const made = this.newConversation(s, item);
      await s.tx.insert(ConversationEntity, made.c);
      for (let i = 0; i < made.rows.length; i += 100)
        await s.tx.insert(MemberEntity, made.rows.slice(i, i + 100));
      return made.result;
    },
    apply: async (s, items, units) => {
      const taken = await takenKeys(
        s.tx,
        items.flatMap((it) => (it.directKey ? [it.directKey] : [])),
      );
      const out: BulkOutcome<CreateResult>[] = [];
      const conversations: ConversationRow[] = [];
      const members: MemberRow[] = [];
      for (const [k, item] of items.entries()) {
        if (item.directKey && taken.has(item.directKey)) {
          out.push({ alone: true });
          continue;
        }
        if (item.directKey) taken.add(item.directKey);
        const made = this.newConversation(units[k]!, item);
        conversations.push(made.c);
        members.push(...made.rows);
        out.push({ ok: true, value: made.result });
      }
      await insertMany(s.tx, ConversationEntity, conversations);
      await insertMany(s.tx, MemberEntity, members);
      return out;
    },
  };

  /**
   * Hub-internal senders (the laboratory): opens keyed group conversations,
   * each with its first message, as one unit of the stream's batch, and runs
   * `also` inside the same transaction for the caller's own rows — all of it
   * commits or none. An item whose key or message exists already, with a
   * member who is not active or a text over the limit, is not written and comes back in `skipped`:
   * the caller takes the one-by-one path (create, send) for it, which finds
   * what exists or refuses with the reason.
   */
  async openMany(
    messages: Messages,
    actor: Actor,
    items: readonly SystemOpen[],
    meta: RequestMeta,
    also: (w: SystemOpenTx) => Promise<void>,
  ): Promise<{ opened: string[]; skipped: string[] }> {
    const active = await this.people.activeIds(items.flatMap((i) => i.memberIds));
    const eligible = items.filter((i) => {
      const others = i.memberIds.filter((id) => id !== actor.userId);
      return (
        others.length > 0 &&
        others.every((id) => active.has(id)) &&
        messages.textFits(i.message.text)
      );
    });
    const skippedOf = (opened: Set<string>) =>
      items.filter((i) => !opened.has(i.key)).map((i) => i.key);
    if (eligible.length === 0) return { opened: [], skipped: skippedOf(new Set()) };
    return this.stream.submit(async (s) => {
      const taken = await takenKeys(
        s.tx,
        eligible.map((i) => `key:${i.key}`),
      );
      const stored = await messages.storedIds(
        s.tx,
        eligible.map((i) => i.message.id),
      );
      const fresh = eligible.filter((i) => !taken.has(`key:${i.key}`) && !stored.has(i.message.id));
      const conversations: ConversationRow[] = [];
      const members: MemberRow[] = [];
      const rows: MessageRow[] = [];
      for (const i of fresh) {
        const made = this.newConversation(s, {
          actor,
          meta: i.meta ?? meta,
          input: {
            kind: 'group',
            memberIds: i.memberIds,
            title: i.title,
            ...(i.unitId ? { unitId: i.unitId } : {}),
            ...(i.patient ? { patient: i.patient } : {}),
          },
          recipients: [...new Set(i.memberIds)].filter((id) => id !== actor.userId),
          directKey: `key:${i.key}`,
          id: i.conversationId,
        });
        conversations.push(made.c);
        members.push(...made.rows);
        const send: SendItem = {
          actor,
          meta: i.meta ?? meta,
          conversationId: made.c.id,
          input: i.message,
          text: i.message.text,
          forward: null,
          ids: [],
          files: [],
          roleId: null,
        };
        const row = messages.newMessage(s, send);
        rows.push(row);
        messages.sent(
          s,
          send,
          row,
          made.rows.map((m) => m.userId),
        );
      }
      if (fresh.length > 0) {
        await insertMany(s.tx, ConversationEntity, conversations);
        await insertMany(s.tx, MemberEntity, members);
        await together(
          s.tx,
          () => messages.writeMessages(s, rows),
          () =>
            also({
              tx: s.tx,
              opened: fresh.map((i) => i.key),
              audit: (entry) => s.audit(entry),
              toUser: (userId, type, data) => s.emit(s.next(), { userId }, type, data, [userId]),
              afterCommit: (fn) => s.afterCommit(fn),
            }),
        );
      }
      const opened = new Set(fresh.map((i) => i.key));
      return { opened: [...opened], skipped: skippedOf(opened) };
    });
  }

  /** The rows of a new conversation, with its audit row, event and cache hook queued on `s`. */
  private newConversation(
    s: StreamTx,
    item: CreateItem,
  ): { c: ConversationRow; rows: MemberRow[]; result: CreateResult } {
    const { actor, input, meta, recipients, directKey } = item;
    const seq = s.next();
    const c: ConversationRow = {
      id: item.id ?? randomUUID(),
      kind: input.kind,
      title: input.title ?? null,
      topic: input.topic ?? null,
      unitId: input.unitId ?? null,
      directKey,
      patientSystem: input.patient?.system ?? null,
      patientValue: input.patient?.value ?? null,
      patientLabel: input.patient?.label ?? null,
      audience: input.audience ? JSON.stringify(input.audience) : null,
      createdBy: actor.userId,
      createdAt: s.now,
      updatedAt: s.now,
      lastSeq: seq,
    };
    const creatorRole: Role = input.kind === 'direct' ? 'member' : 'admin';
    const rows = [
      memberRow(c.id, actor.userId, creatorRole, seq, s.now),
      ...recipients.map((u) => memberRow(c.id, u, 'member', seq, s.now)),
    ];
    s.audit({
      ...callContext(actor, meta),
      action: 'messaging.conversation.create',
      targetType: 'conversation',
      targetId: c.id,
      details: {
        kind: c.kind,
        members: rows.length,
        patientBound: !!input.patient,
        ...(input.teamId ? { teamId: input.teamId } : {}),
      },
    });
    const view = conversationView(c, rows);
    s.afterCommit(() => this.access.remember(c, rows));
    s.emit(
      seq,
      { conversationId: c.id },
      'conversation.created',
      view,
      rows.map((r) => r.userId),
    );
    return { c, rows, result: { created: true, view } };
  }

  /** The active members of these teams now (a broadcast's team audience). */
  private async teamAudience(teamIds: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const [i, teamId] of teamIds.entries()) {
      const members = await this.teams.members(teamId, this.clock.now()).catch((err: unknown) => {
        if (err instanceof AppError) {
          throw new AppError(err.code, { field: `audience.teamIds.${i}` });
        }
        throw err;
      });
      ids.push(...members.map((p) => p.id));
    }
    const active = await this.people.activeIds(ids);
    return [...new Set(ids)].filter((id) => active.has(id));
  }

  /**
   * The caller's direct conversation with a duty role (RTE-1), found or
   * created. Its members are the caller and, per message, whoever the role
   * resolves to at send time.
   */
  private async createWithRole(
    actor: Actor,
    input: CreateConversationRequest,
    roleId: string,
    meta: RequestMeta,
  ): Promise<{ created: boolean; view: ConversationView }> {
    if (input.kind !== 'direct') {
      throw new AppError('messaging.invalid_members', {
        field: 'roleId',
        message: 'A duty role is addressed by a direct conversation',
      });
    }
    if (input.memberIds.length > 0 || input.teamId || input.audience) {
      throw new AppError('messaging.invalid_members', {
        field: 'memberIds',
        message: 'A conversation with a duty role names no members',
      });
    }
    // Throws rosters.role_not_found for an unknown or inactive role.
    await this.oncall.resolve(roleId, this.clock.now());
    const directKey = `role:${roleId}:${actor.userId}`;
    return this.stream.submit(async (s) => {
      const existing = await s.tx.findOneBy(ConversationEntity, { directKey });
      if (existing) {
        return {
          created: false,
          view: conversationView(existing, await activeMembers(s.tx, existing.id)),
        };
      }
      const seq = s.next();
      const c: ConversationRow = {
        id: randomUUID(),
        kind: 'direct',
        title: input.title ?? null,
        topic: input.topic ?? null,
        unitId: null,
        directKey,
        patientSystem: input.patient?.system ?? null,
        patientValue: input.patient?.value ?? null,
        patientLabel: input.patient?.label ?? null,
        audience: null,
        roleId,
        createdBy: actor.userId,
        createdAt: s.now,
        updatedAt: s.now,
        lastSeq: seq,
      };
      await s.tx.insert(ConversationEntity, c);
      const rows = [memberRow(c.id, actor.userId, 'member', seq, s.now)];
      await s.tx.insert(MemberEntity, rows);
      s.audit({
        ...callContext(actor, meta),
        action: 'messaging.conversation.create',
        targetType: 'conversation',
        targetId: c.id,
        details: { kind: c.kind, roleId, members: 1, patientBound: !!input.patient },
      });
      const view = conversationView(c, rows);
      s.afterCommit(() => this.access.forget(c.id));
      s.emit(seq, { conversationId: c.id }, 'conversation.created', view, [actor.userId]);
      return { created: true, view };
    });
  }

  /** Adds people (MSG-6): any member of a group or channel; the admins of a broadcast add recipients. */
  async invite(actor: Actor, conversationId: string, userIds: string[], meta: RequestMeta) {
    const { c, me } = await this.access.member(conversationId, actor.userId);
    if (c.kind === 'direct') throw new AppError('messaging.not_allowed');
    if (c.kind === 'broadcast' && me.role !== 'admin') throw new AppError('messaging.not_allowed');
    const active = await this.people.activeIds(userIds);
    const bad = userIds.findIndex((u) => !active.has(u));
    if (bad >= 0) throw new AppError('messaging.user_not_found', { field: `userIds.${bad}` });
    return this.changeMembers(actor, c, { add: userIds }, 'invited', meta);
  }

  /**
   * Adds people on the system's behalf (escalation: a new target must see the
   * message to acknowledge it). Not for direct conversations (answers false);
   * people already in are left as they are. The system message names the
   * author as the inviter; audited as `messaging.member.add` by the system.
   */
  async addBySystem(conversationId: string, userIds: string[], authorId: string): Promise<boolean> {
    const c = await this.access.conversation(conversationId);
    if (c.kind === 'direct' && !c.roleId) return false;
    const active = await this.people.activeIds(userIds);
    const add = userIds.filter((u) => active.has(u));
    if (add.length === 0) return true;
    await this.changeMembers(
      { userId: authorId, deviceId: '', sessionId: '', roles: [], permissions: new Set() },
      c,
      { add },
      'escalated',
      { requestId: '', ip: '', userAgent: null },
    );
    return true;
  }

  /** Joins a channel of one's own unit (or a channel without a unit). */
  async join(actor: Actor, conversationId: string, meta: RequestMeta) {
    const c = await this.access.conversation(conversationId);
    if (c.kind !== 'channel') throw new AppError('messaging.not_allowed');
    if (c.unitId && !(await this.people.inUnit(actor.userId, c.unitId))) {
      throw new AppError('messaging.not_allowed', { message: 'The channel is for its unit only' });
    }
    return this.changeMembers(actor, c, { add: [actor.userId] }, 'joined', meta);
  }

  async leave(actor: Actor, conversationId: string, meta: RequestMeta) {
    const { c } = await this.access.member(conversationId, actor.userId);
    if (c.kind === 'direct') throw new AppError('messaging.not_allowed');
    return this.changeMembers(actor, c, { remove: [actor.userId] }, 'left', meta);
  }

  /** Removes someone: conversation admins only. */
  async remove(actor: Actor, conversationId: string, userId: string, meta: RequestMeta) {
    const { c, me } = await this.access.member(conversationId, actor.userId);
    if (c.kind === 'direct' || me.role !== 'admin') throw new AppError('messaging.not_allowed');
    return this.changeMembers(actor, c, { remove: [userId] }, 'removed', meta);
  }

  /**
   * One membership change: member rows, a system message shown in the
   * conversation, `conversation.updated` to everyone concerned, an audit row.
   */
  private changeMembers(
    actor: Actor,
    c: ConversationRow,
    change: { add?: string[]; remove?: string[] },
    action: 'invited' | 'joined' | 'left' | 'removed' | 'escalated',
    meta: RequestMeta,
  ): Promise<ConversationView> {
    return this.stream.submit(async (s) => {
      const before = await activeMembers(s.tx, c.id);
      const had = new Set(before.map((m) => m.userId));
      const add = (change.add ?? []).filter((u) => !had.has(u));
      const remove = (change.remove ?? []).filter((u) => had.has(u));
      if (add.length === 0 && remove.length === 0) return conversationView(c, before);
      const seq = s.next();
      for (const u of add) {
        const old = await s.tx.findOneBy(MemberEntity, { conversationId: c.id, userId: u });
        if (old) await s.tx.delete(MemberEntity, { conversationId: c.id, userId: u });
        await s.tx.insert(MemberEntity, memberRow(c.id, u, 'member', seq, s.now));
      }
      for (const u of remove) {
        await s.tx.update(
          MemberEntity,
          { conversationId: c.id, userId: u },
          { leftSeq: seq, leftAt: s.now },
        );
      }
      const systemSeq = s.next();
      s.membershipChanged.add(c.id);
      s.afterCommit(() => this.access.forget(c.id));
      const after = await activeMembers(s.tx, c.id);
      const view = { ...conversationView(c, after), lastSeq: systemSeq };
      // Everyone concerned learns of the change, the people who left included
      // (their membership ends at this seq, so resume returns it to them too).
      const concerned = [...new Set([...before.map((m) => m.userId), ...add])];
      s.emit(seq, { conversationId: c.id }, 'conversation.updated', view, concerned);
      // An escalation adds people in the message author's name (shown as an invitation).
      await this.systemMessage(s, c.id, actor.userId, systemSeq, {
        action: action === 'escalated' ? 'invited' : action,
        userIds: [...add, ...remove],
      });
      await s.tx.update(ConversationEntity, { id: c.id }, { lastSeq: systemSeq, updatedAt: s.now });
      s.audit({
        ...(action === 'escalated' ? SYSTEM : callContext(actor, meta)),
        action: `messaging.member.${MEMBER_ACTIONS[action]}`,
        targetType: 'conversation',
        targetId: c.id,
        details: { added: add, removed: remove },
      });
      return view;
    });
  }

  private async systemMessage(
    s: StreamTx,
    conversationId: string,
    actorId: string,
    seq: number,
    system: { action: string; userIds: string[] },
  ): Promise<void> {
    const row = {
      id: randomUUID(),
      conversationId,
      seq,
      authorId: actorId,
      text: '',
      fold: '',
      priority: 'low',
      kind: 'informal',
      replyTo: null,
      forward: null,
      system: JSON.stringify(system),
      createdAt: s.now,
      editedAt: null,
      recalledAt: null,
    };
    await s.tx.insert(MessageEntity, row);
    const to = (await activeMembers(s.tx, conversationId)).map((m) => m.userId);
    // Current members only: those who just left are past their membership.
    s.emit(seq, { conversationId }, 'message.created', messageView(row), to);
  }

  /** The caller's conversations, newest activity first, with unread counts. */
  async list(userId: string, m: EntityManager): Promise<ConversationView[]> {
    const mine = await m
      .createQueryBuilder(MemberEntity, 'me')
      .innerJoin('Conversation', 'c', 'c.id = me.conversation_id')
      .where('me.user_id = :userId AND me.left_seq IS NULL', { userId })
      .select(['c.id AS "id"', 'me.read_seq AS "readSeq"', 'c.last_seq AS "lastSeq"'])
      .orderBy('c.last_seq', 'DESC')
      .getRawMany<{ id: string; readSeq: string | number; lastSeq: string | number }>();
    const out: ConversationView[] = [];
    for (const row of mine) {
      const c = await m.findOneByOrFail(ConversationEntity, { id: row.id });
      const view = conversationView(c, await activeMembers(m, c.id));
      const unread = await m
        .createQueryBuilder(MessageEntity, 'msg')
        .where('msg.conversation_id = :id AND msg.seq > :read AND msg.author_id <> :userId', {
          id: c.id,
          read: Number(row.readSeq),
          userId,
        })
        .andWhere('msg.system IS NULL AND msg.recalled_at IS NULL')
        .getCount();
      out.push({ ...view, unread });
    }
    return out;
  }
}

/** Which of these conversation keys (direct pairs, hub-internal keys) exist already. */
async function takenKeys(tx: EntityManager, keys: readonly string[]): Promise<Set<string>> {
  const taken = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await tx.find(ConversationEntity, {
      select: { id: true, directKey: true },
      where: { directKey: In(keys.slice(i, i + 500)) },
    });
    for (const r of rows) if (r.directKey) taken.add(r.directKey);
  }
  return taken;
}

export function memberRow(
  conversationId: string,
  userId: string,
  role: Role,
  seq: number,
  now: string,
): MemberRow {
  return {
    conversationId,
    userId,
    role,
    joinedAt: now,
    joinedSeq: seq,
    leftAt: null,
    leftSeq: null,
    deliveredSeq: 0,
    deliveredAt: null,
    readSeq: 0,
    readAt: null,
  };
}
