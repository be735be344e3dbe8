import type { AlertView } from '@konsilium/shared';
import type { Database } from '../../platform/db/database.js';
import type { EscalationEngine } from './escalation.engine.js';
import { EscalationEntity } from './escalation.entity.js';

/** At most this many alerts per answer, newest first (as the unfiltered list). */
const LIMIT = 500;

/**
 * `GET /api/v1/alerts?conversationId=`: the alerts of one conversation the
 * caller may see, newest first. Visibility is the list's rule: people who were
 * ever asked to acknowledge see theirs, `escalation.view_all` sees all.
 */
export async function listConversationAlerts(
  db: Database,
  engine: Pick<EscalationEngine, 'view'>,
  q: {
    userId: string;
    viewAll: boolean;
    state: 'open' | 'acknowledged' | 'all';
    conversationId: string;
  },
): Promise<AlertView[]> {
  const qb = db.manager
    .createQueryBuilder(EscalationEntity, 'e')
    .select('e.id', 'id')
    .where('e.conversation_id = :c', { c: q.conversationId })
    .orderBy('e.created_at', 'DESC')
    .limit(LIMIT);
  if (q.state !== 'all') qb.andWhere('e.state = :state', { state: q.state });
  if (!q.viewAll)
    qb.innerJoin('escalation_target', 't', 't.escalation_id = e.id AND t.user_id = :u', {
      u: q.userId,
    });
  const ids = (await qb.getRawMany<{ id: string }>()).map((r) => r.id);
  const out: AlertView[] = [];
  for (const id of ids) out.push(await engine.view(id));
  return out;
}
