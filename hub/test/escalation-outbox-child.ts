/*
 * Child process of the outbox restart test: starts a hub over the given data
 * directory or database with e-mail through SMTP_PORT, creates a person with
 * an address and a policy (notify, e-mail, wait ten minutes), starts one
 * critical escalation, prints "started <personId>" and waits to be killed
 * with SIGKILL (the parent kills it while the SMTP server holds the mail).
 */
import { randomUUID } from 'node:crypto';
import { crashChildHub } from './support/crash.js';
import { SYSTEM } from '../src/platform/http/actor.js';

const hub = crashChildHub({
  smtpUrl: `smtp://127.0.0.1:${process.env.SMTP_PORT ?? ''}`,
  smtpFrom: 'konsilium@hospital.example',
});
await hub.start();
const target = await hub.internals.directory.createUser(
  SYSTEM,
  {
    login: 'target',
    password: 'correct-horse-battery',
    lastName: 'Адресатов',
    firstName: 'Тест',
    email: 'target@hospital.example',
  },
  { passwordHash: 'x' },
);
await hub.internals.escalation.policies.create(SYSTEM, {
  name: 'Почта',
  unitId: null,
  match: { priorities: ['critical'], kinds: ['message'] },
  steps: [
    { type: 'notify' },
    { type: 'external', channel: 'email' },
    { type: 'wait', seconds: 600 },
  ],
  failSafe: { kind: 'user', id: target.id },
});
await hub.internals.escalation.startForMessage({
  messageId: randomUUID(),
  conversationId: randomUUID(),
  unitId: null,
  priority: 'critical',
  kind: 'message',
  targets: [target.id],
});
process.stdout.write(`started ${target.id}\n`);
setInterval(() => undefined, 1000);
