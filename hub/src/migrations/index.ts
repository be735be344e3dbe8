import { Foundation1764200000000 } from './1764200000000-foundation.js';
import { DirectorySearchCollation1764300000000 } from './1764300000000-directory-search-collation.js';
import { Messaging1764400000000 } from './1764400000000-messaging.js';
import { Files1764500000000 } from './1764500000000-files.js';
import { Rosters1764600000000 } from './1764600000000-rosters.js';
import { Results1764800000000 } from './1764800000000-results.js';
import { MessagingRoles1764700000000 } from './1764700000000-messaging-roles.js';
import { DurableTimers1764900000000 } from './1764900000000-durable-timers.js';
import { Escalation1765000000000 } from './1765000000000-escalation.js';
import { ResultAlerts1765100000000 } from './1765100000000-result-alerts.js';
import { Notifications1765200000000 } from './1765200000000-notifications.js';
import { EscalationOutbox1765300000000 } from './1765300000000-escalation-outbox.js';

/** Every migration, oldest first. The only way the schema changes. */
export const MIGRATIONS = [
  Foundation1764200000000,
  DirectorySearchCollation1764300000000,
  Messaging1764400000000,
  Files1764500000000,
  Rosters1764600000000,
  MessagingRoles1764700000000,
  Results1764800000000,
  DurableTimers1764900000000,
  Escalation1765000000000,
  ResultAlerts1765100000000,
  Notifications1765200000000,
  EscalationOutbox1765300000000,
];
