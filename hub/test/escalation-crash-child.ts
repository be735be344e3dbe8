/*
 * Child process of the escalation restart test: starts a hub over the given
 * data directory or database, creates two people and a policy (notify, wait
 * ten minutes, backup, wait), starts ESCALATION_COUNT escalations, prints
 * "started <backupId>" and waits to be killed with SIGKILL.
 */
import { randomUUID } from 'node:crypto';
import { crashChildHub } from './support/crash.js';
import { SYSTEM } from '../src/platform/http/actor.js';

const count = Number(process.env.ESCALATION_COUNT ?? '200');
const hub = crashChildHub();
await hub.start();
const person = (login: string, lastName: string) =>
  hub.internals.directory.createUser(
    SYSTEM,
    { login, password: 'correct-horse-battery', lastName, firstName: 'Тест' },
    { passwordHash: 'x' },
  );
const target = await person('target', 'Адресатов');
const backup = await person('backup', 'Резервов');
await hub.internals.escalation.policies.create(SYSTEM, {
  name: 'Перезапуск',
  unitId: null,
  match: { priorities: ['critical'], kinds: ['message'] },
  steps: [
    { type: 'notify' },
    { type: 'wait', seconds: 600 },
    { type: 'backup', target: { kind: 'user', id: backup.id } },
    { type: 'wait', seconds: 600 },
  ],
  failSafe: { kind: 'user', id: backup.id },
});
for (let i = 0; i < count; i++) {
  await hub.internals.escalation.startForMessage({
    messageId: randomUUID(),
    conversationId: randomUUID(),
    unitId: null,
    priority: 'critical',
    kind: 'message',
    targets: [target.id],
  });
}
process.stdout.write(`started ${backup.id}\n`);
setInterval(() => undefined, 1000);
