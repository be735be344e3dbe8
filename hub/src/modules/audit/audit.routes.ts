import { AuditQuery, type AuditRowView } from '@konsilium/shared';
import type { EntityManager } from 'typeorm';
import { route, type Route } from '../../platform/http/routes.js';
import { AuditRowEntity, type AuditRow } from './audit.entity.js';

function view(row: AuditRow): AuditRowView {
  return {
    seq: Number(row.seq),
    at: row.at,
    actorId: row.actorId,
    deviceId: row.deviceId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    outcome: row.outcome as AuditRowView['outcome'],
    details: JSON.parse(row.details) as Record<string, unknown>,
    requestId: row.requestId,
    hash: row.hash,
  };
}

/** `GET /api/v1/audit`: newest first, filtered by actor, target, action and time; `before` pages back. */
export function auditRoutes(manager: () => EntityManager): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/v1/audit',
      access: { permission: 'audit.read' },
      query: AuditQuery,
      handler: async ({ query }) => {
        const qb = manager().createQueryBuilder(AuditRowEntity, 'a');
        if (query.actorId) qb.andWhere('a.actor_id = :actorId', { actorId: query.actorId });
        if (query.targetType) qb.andWhere('a.target_type = :tt', { tt: query.targetType });
        if (query.targetId) qb.andWhere('a.target_id = :tid', { tid: query.targetId });
        if (query.action) qb.andWhere('a.action = :action', { action: query.action });
        if (query.from) qb.andWhere('a.at >= :from', { from: new Date(query.from).toISOString() });
        if (query.to) qb.andWhere('a.at < :to', { to: new Date(query.to).toISOString() });
        if (query.before) qb.andWhere('a.seq < :before', { before: query.before });
        const rows = await qb.orderBy('a.seq', 'DESC').limit(query.limit).getMany();
        const items = rows.map(view);
        const last = items[items.length - 1];
        return {
          body: { items, nextBefore: items.length === query.limit && last ? last.seq : null },
        };
      },
    }),
  ];
}
