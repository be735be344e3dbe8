import { randomUUID } from 'node:crypto';
import {
  AppError,
  type AlertKind,
  type AlertPriority,
  type EscalationPolicyInput,
  type EscalationPolicyView,
  type EscalationStep,
  type EscalationTarget,
} from '@konsilium/shared';
import { iso, type Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { CallContext } from '../../platform/http/actor.js';
import { SharedRead } from '../../platform/shared-read.js';
import type { AuditLog } from '../audit/index.js';
import { DutyAdminEntity, PolicyEntity, type PolicyRow } from './escalation.entity.js';
import type { EscalationPeople, EscalationRoles } from './escalation.ports.js';

/** The fail-safe of the built-in policy: the unit's duty administrator, else the administrators. */
export type FailSafe = EscalationTarget | { kind: 'builtin' };

/** What an escalation runs from: a snapshot taken when it starts. */
export interface Plan {
  policyId: string | null;
  policyName: string;
  steps: EscalationStep[];
  failSafe: FailSafe;
}

/**
 * Used for a critical item when no configured policy matches, so a critical
 * item always escalates until someone acknowledges it (DESIGN invariant 6).
 */
export const BUILTIN_CRITICAL: Plan = {
  policyId: null,
  policyName: 'built-in (critical)',
  steps: [
    { type: 'notify' },
    { type: 'wait', seconds: 300 },
    { type: 'repeat', everySeconds: 120, times: 2 },
    { type: 'duty_admin' },
    { type: 'wait', seconds: 300 },
  ],
  failSafe: { kind: 'builtin' },
};

export function policyView(r: PolicyRow): EscalationPolicyView {
  return {
    id: r.id,
    name: r.name,
    unitId: r.unitId,
    match: JSON.parse(r.match) as EscalationPolicyView['match'],
    steps: JSON.parse(r.steps) as EscalationStep[],
    failSafe: JSON.parse(r.failSafe) as EscalationTarget,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** Escalation policies (ESC-2): CRUD, the choice for an item, duty administrators. */
export class Policies {
  /**
   * Policies for {@link choose}: escalations started together share reads,
   * none gets one issued before it asked (a policy just saved is used).
   */
  private readonly policyRows = new SharedRead(() => this.db.manager.find(PolicyEntity));

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly people: EscalationPeople,
    private readonly roles: EscalationRoles,
  ) {}

  async list(): Promise<EscalationPolicyView[]> {
    const rows = await this.db.manager.find(PolicyEntity, { order: { createdAt: 'ASC' } });
    return rows.map(policyView);
  }

  async create(ctx: CallContext, input: EscalationPolicyInput): Promise<EscalationPolicyView> {
    await this.check(input);
    const now = iso(this.clock.now());
    const row: PolicyRow = {
      id: randomUUID(),
      ...this.columns(input),
      createdAt: now,
      updatedAt: now,
    };
    await this.db.transaction(async (tx) => {
      await tx.insert(PolicyEntity, row);
      await this.audit.append(tx, {
        ...ctx,
        action: 'escalation.policy.create',
        targetType: 'escalation_policy',
        targetId: row.id,
        details: { unitId: row.unitId, steps: input.steps.length },
      });
    });
    return policyView(row);
  }

  async update(
    ctx: CallContext,
    id: string,
    input: EscalationPolicyInput,
  ): Promise<EscalationPolicyView> {
    const old = await this.db.manager.findOneBy(PolicyEntity, { id });
    if (!old) throw new AppError('escalation.policy_not_found');
    await this.check(input);
    const row: PolicyRow = { ...old, ...this.columns(input), updatedAt: iso(this.clock.now()) };
    await this.db.transaction(async (tx) => {
      await tx.update(PolicyEntity, { id }, row);
      await this.audit.append(tx, {
        ...ctx,
        action: 'escalation.policy.update',
        targetType: 'escalation_policy',
        targetId: id,
        details: { unitId: row.unitId, steps: input.steps.length },
      });
    });
    return policyView(row);
  }

  async remove(ctx: CallContext, id: string): Promise<void> {
    const old = await this.db.manager.findOneBy(PolicyEntity, { id });
    if (!old) throw new AppError('escalation.policy_not_found');
    await this.db.transaction(async (tx) => {
      await tx.delete(PolicyEntity, { id });
      await this.audit.append(tx, {
        ...ctx,
        action: 'escalation.policy.delete',
        targetType: 'escalation_policy',
        targetId: id,
        details: { unitId: old.unitId },
      });
    });
  }

  /** Sets (or with `roleId` null clears) the duty role that acts as the unit's duty administrator. */
  async setDutyAdmin(ctx: CallContext, unitId: string, roleId: string | null): Promise<void> {
    const units = await this.people.units();
    if (!units.some((u) => u.id === unitId)) {
      throw new AppError('directory.unit_not_found', { field: 'unitId' });
    }
    if (roleId) {
      const role = await this.roles.describe(roleId);
      if (!role?.active) throw new AppError('escalation.invalid_target', { field: 'roleId' });
    }
    await this.db.transaction(async (tx) => {
      await tx.delete(DutyAdminEntity, { unitId });
      if (roleId)
        await tx.insert(DutyAdminEntity, { unitId, roleId, updatedAt: iso(this.clock.now()) });
      await this.audit.append(tx, {
        ...ctx,
        action: 'escalation.duty_admin.set',
        targetType: 'unit',
        targetId: unitId,
        details: { roleId },
      });
    });
  }

  async dutyAdmins(): Promise<{ unitId: string; roleId: string }[]> {
    const rows = await this.db.manager.find(DutyAdminEntity);
    return rows.map((r) => ({ unitId: r.unitId, roleId: r.roleId }));
  }

  /** The unit and its ancestors, nearest first. */
  async chain(unitId: string | null): Promise<string[]> {
    if (!unitId) return [];
    const parent = new Map((await this.people.units()).map((u) => [u.id, u.parentId]));
    const out: string[] = [];
    let at: string | null | undefined = unitId;
    while (at && !out.includes(at)) {
      out.push(at);
      at = parent.get(at);
    }
    return out;
  }

  /** The duty-administrator role of the unit, searched up the tree; null when none is set. */
  async dutyAdminRole(unitId: string | null): Promise<string | null> {
    const chain = await this.chain(unitId);
    if (chain.length === 0) return null;
    const rows = new Map((await this.db.manager.find(DutyAdminEntity)).map((r) => [r.unitId, r]));
    for (const u of chain) {
      const hit = rows.get(u);
      if (hit) return hit.roleId;
    }
    return null;
  }

  /**
   * The plan for an item: the most specific policy (the unit, then its
   * ancestors, then the organisation-wide ones) matching priority and kind;
   * the built-in one for a critical item when none matches; else null.
   */
  async choose(q: {
    unitId: string | null;
    priority: AlertPriority;
    kind: AlertKind;
  }): Promise<Plan | null> {
    const all = (await this.policyRows.get()).map(policyView);
    const matching = all
      .filter((p) => p.match.priorities.includes(q.priority) && p.match.kinds.includes(q.kind))
      .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1));
    for (const scope of [...(await this.chain(q.unitId)), null]) {
      const hit = matching.find((p) => p.unitId === scope);
      if (hit)
        return { policyId: hit.id, policyName: hit.name, steps: hit.steps, failSafe: hit.failSafe };
    }
    return q.priority === 'critical' ? BUILTIN_CRITICAL : null;
  }

  private columns(input: EscalationPolicyInput) {
    return {
      name: input.name,
      unitId: input.unitId,
      match: JSON.stringify(input.match),
      steps: JSON.stringify(input.steps),
      failSafe: JSON.stringify(input.failSafe),
    };
  }

  /** Referential checks the schema cannot make: the unit, backup targets and the fail-safe. */
  private async check(input: EscalationPolicyInput): Promise<void> {
    if (input.unitId) {
      const units = await this.people.units();
      if (!units.some((u) => u.id === input.unitId)) {
        throw new AppError('directory.unit_not_found', { field: 'unitId' });
      }
    }
    const targets: [EscalationTarget, string][] = [[input.failSafe, 'failSafe.id']];
    input.steps.forEach((s, i) => {
      if (s.type === 'backup') targets.push([s.target, `steps.${i}.target.id`]);
    });
    for (const [t, field] of targets) {
      const ok =
        t.kind === 'user'
          ? (await this.people.profiles([t.id])).get(t.id)?.active === true
          : (await this.roles.describe(t.id))?.active === true;
      if (!ok) throw new AppError('escalation.invalid_target', { field });
    }
  }
}
