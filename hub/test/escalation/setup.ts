import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { AlertView } from '@konsilium/shared';
import { DurableTimerEntity } from '../../src/platform/timers/index.js';
import type { TestHub } from '../support/hub.js';
import { rosterWorld } from '../rosters/setup.js';

export type World = Awaited<ReturnType<typeof rosterWorld>> & {
  backup: Awaited<ReturnType<TestHub['makeUser']>>;
  chief: Awaited<ReturnType<TestHub['makeUser']>>;
  conversationId: string;
};

/** The roster world plus a backup and a chief, and a group of Сидоров with Иванов and Петров. */
export async function escalationWorld(t: TestHub): Promise<World> {
  const w = await rosterWorld(t);
  const backup = await t.makeUser({
    lastName: 'Резервов',
    firstName: 'Роман',
    email: 'reserve@hospital.example',
  });
  const chief = await t.makeUser({ lastName: 'Главный', firstName: 'Глеб' });
  const conv = await t.api.post(
    '/api/v1/conversations',
    { kind: 'group', title: 'Палата 5', memberIds: [w.ivanov.id, w.petrov.id], unitId: w.unit.id },
    { token: w.sidorov.token },
  );
  assert.equal(conv.status, 201, JSON.stringify(conv.body));
  return { ...w, backup, chief, conversationId: conv.body.id as string };
}

/** Creates a policy as the administrator; returns its id. */
export async function makePolicy(t: TestHub, body: Record<string, unknown>): Promise<string> {
  const r = await t.api.post('/api/v1/escalation/policies', body, { token: t.admin.token });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

/** Sends a message as `token` into the conversation; returns its id after escalation settled. */
export async function send(
  t: TestHub,
  token: string,
  conversationId: string,
  body: { priority: string; kind?: string; text?: string },
): Promise<string> {
  const id = randomUUID();
  const r = await t.api.post(
    `/api/v1/conversations/${conversationId}/messages`,
    { id, text: body.text ?? 'Срочно посмотрите', ...body },
    { token },
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await settle(t);
  return id;
}

/** Waits for escalation and messaging after-commit work. */
export async function settle(t: TestHub): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await t.hub.internals.escalation.settled();
    await t.hub.internals.messaging.roleEvents.settled();
  }
}

/** Moves the clock and fires what is due. */
export async function elapse(t: TestHub, seconds: number): Promise<void> {
  t.clock.advanceSeconds(seconds);
  await t.hub.internals.timers.runDue();
  await settle(t);
}

/** The alert of a message as the administrator sees it. */
export async function alertOf(t: TestHub, messageId: string): Promise<AlertView> {
  const r = await t.api.get('/api/v1/alerts?state=all', { token: t.admin.token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const hit = (r.body.items as AlertView[]).find((a) => a.messageId === messageId);
  assert.ok(hit, 'no alert for the message');
  return hit;
}

export const types = (a: AlertView) => a.timeline.map((e) => e.type);
export const ids = (list: { id: string }[] | undefined) => (list ?? []).map((p) => p.id).sort();

export async function pendingTimers(t: TestHub, key: string): Promise<number> {
  return t.hub.internals.db.manager.countBy(DurableTimerEntity, {
    kind: 'escalation.step',
    key,
    state: 'scheduled',
  });
}

export interface Mail {
  to: string[];
  raw: string;
}

/**
 * A real SMTP server on a free port keeping what it receives; it answers
 * `451` (try later) to the first `refuse` recipients it is given, and never
 * answers the first `hold` mails it reads (a sender stays mid-send; those
 * are counted by `held`, not kept in `mails`).
 */
export async function startSmtp(
  refuse = 0,
  hold = 0,
): Promise<{
  server: SMTPServer;
  port: number;
  mails: Mail[];
  refused: () => number;
  held: () => number;
}> {
  const mails: Mail[] = [];
  let refused = 0;
  let held = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (refused < refuse) {
        refused += 1;
        callback(Object.assign(new Error('mailbox busy, try later'), { responseCode: 451 }));
      } else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (held < hold) {
          held += 1;
          return;
        }
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.server.address() as AddressInfo).port,
    mails,
    refused: () => refused,
    held: () => held,
  };
}
