import {
  AppError,
  PRIORITIES,
  type MyNotificationsView,
  type NotifyMode,
  type NotifyPolicyInput,
  type NotifyPolicyView,
  type NotifyPreference,
  type NotifyPreferencesInput,
  type NotifyRule,
  type Priority,
} from '@konsilium/shared';
import type { EntityManager } from 'typeorm';
import { iso, type Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { CallContext } from '../../platform/http/actor.js';
import type { AuditLog } from '../audit/index.js';
import {
  NotifyPolicyEntity,
  NotifyPreferenceEntity,
  type NotifyPolicyRow,
} from './notifications.entity.js';
import type { NotifyDirectory } from './notifications.ports.js';

export type Rules = Record<Priority, NotifyRule>;

const rule = (r: Partial<NotifyRule> & { mode: NotifyMode }): NotifyRule => ({
  sound: false,
  repeatUntilAck: false,
  offDuty: false,
  userMayQuiet: false,
  ...r,
});

/** The hub's built-in policy where no organisation or unit has one (ADR 0023). */
export const DEFAULT_POLICY = {
  rules: {
    low: rule({ mode: 'feed', userMayQuiet: true }),
    normal: rule({ mode: 'feed', userMayQuiet: true }),
    urgent: rule({ mode: 'push', sound: true }),
    critical: rule({ mode: 'push', sound: true, repeatUntilAck: true, offDuty: true }),
  } satisfies Rules,
  dndMaxHoldSeconds: 1800,
  digestIntervalSeconds: 3600,
};

/** The rules and timings that apply to one person. */
export interface Applied {
  policyUnitId: string | null;
  policy: Rules;
  preferences: Partial<Record<Priority, NotifyPreference>>;
  effective: Rules;
  dndMaxHoldSeconds: number;
  digestIntervalSeconds: number;
}

const LOUDNESS: Record<NotifyMode, number> = { feed: 0, digest: 1, push: 2 };

function invalid(field: string, message: string): AppError {
  return new AppError('notifications.rule_invalid', { field, message, details: { in: 'body' } });
}

/** Checks what the schema cannot: which rule fits which priority. */
export function checkRules(rules: Rules): void {
  for (const p of PRIORITIES) {
    const r = rules[p];
    const at = `rules.${p}`;
    if (p === 'critical' && r.mode !== 'push')
      throw invalid(`${at}.mode`, 'Critical messages always push (they break through)');
    if (p === 'critical' && r.userMayQuiet)
      throw invalid(`${at}.userMayQuiet`, 'Nobody may quieten critical messages');
    if (r.mode === 'digest' && p !== 'low')
      throw invalid(`${at}.mode`, 'Only low-priority messages can go to a digest');
    if (r.mode !== 'push' && r.sound) throw invalid(`${at}.sound`, 'A sound needs mode "push"');
    if (r.mode !== 'push' && r.repeatUntilAck)
      throw invalid(`${at}.repeatUntilAck`, 'Repeating needs mode "push"');
  }
}

/** Why a preference is not allowed by the rule (the field and message), or null. */
function refusal(p: Priority, r: NotifyRule, pref: NotifyPreference): [string, string] | null {
  const at = `preferences.${p}`;
  const mode = pref.mode ?? r.mode;
  if (pref.mode === 'digest' && p !== 'low')
    return [`${at}.mode`, 'Only low-priority messages can go to a digest'];
  if (LOUDNESS[mode] < LOUDNESS[r.mode] && !r.userMayQuiet)
    return [`${at}.mode`, `The policy does not let you make ${p} messages quieter`];
  if (pref.sound === true && mode !== 'push') return [`${at}.sound`, 'A sound needs mode "push"'];
  if (pref.sound === false && r.sound && mode === 'push' && !r.userMayQuiet)
    return [`${at}.sound`, `The policy does not let you turn off the sound of ${p} messages`];
  return null;
}

/** The rule with the person's allowed preference applied (a refused one is ignored). */
export function applyPreference(p: Priority, r: NotifyRule, pref?: NotifyPreference): NotifyRule {
  if (!pref || refusal(p, r, pref)) return r;
  const mode = pref.mode ?? r.mode;
  const push = mode === 'push';
  return {
    ...r,
    mode,
    sound: push && (pref.sound ?? (r.mode === 'push' ? r.sound : false)),
    repeatUntilAck: push && r.mode === 'push' && r.repeatUntilAck,
  };
}

/**
 * Notification policies per organisation or unit (the nearest one up the
 * tree from the person's unit wins, wholesale) and personal preferences.
 */
export class PolicyService {
  /** Told when a policy (`null`: any person may be affected) or a person's preferences change. */
  onChange: (userId: string | null) => void = () => undefined;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly directory: NotifyDirectory,
  ) {}

  async list(): Promise<NotifyPolicyView[]> {
    const rows = await this.db.manager.find(NotifyPolicyEntity, { order: { unitId: 'ASC' } });
    const names = await this.unitNames();
    return rows.map((r) => view(r, names.get(r.unitId) ?? ''));
  }

  async get(unitId: string): Promise<NotifyPolicyView> {
    const row = await this.db.manager.findOneBy(NotifyPolicyEntity, { unitId });
    if (!row) throw new AppError('notifications.policy_not_found', { field: 'unitId' });
    return view(row, (await this.unitNames()).get(unitId) ?? '');
  }

  async put(ctx: CallContext, unitId: string, input: NotifyPolicyInput): Promise<NotifyPolicyView> {
    const names = await this.unitNames();
    if (!names.has(unitId)) throw new AppError('directory.unit_not_found', { field: 'unitId' });
    checkRules(input.rules);
    const row: NotifyPolicyRow = {
      unitId,
      rules: JSON.stringify(input.rules),
      dndMaxHoldSeconds: input.dndMaxHoldSeconds,
      digestIntervalSeconds: input.digestIntervalSeconds,
      updatedAt: iso(this.clock.now()),
      updatedBy: ctx.actorId,
    };
    await this.db.transaction(async (tx) => {
      const existed = await tx.countBy(NotifyPolicyEntity, { unitId });
      await tx.delete(NotifyPolicyEntity, { unitId });
      await tx.insert(NotifyPolicyEntity, row);
      await this.audited(
        tx,
        ctx,
        existed ? 'notifications.policy.update' : 'notifications.policy.create',
        unitId,
        {
          modes: Object.fromEntries(PRIORITIES.map((p) => [p, input.rules[p].mode])),
          dndMaxHoldSeconds: row.dndMaxHoldSeconds,
          digestIntervalSeconds: row.digestIntervalSeconds,
        },
      );
    });
    this.onChange(null);
    return view(row, names.get(unitId) ?? '');
  }

  async remove(ctx: CallContext, unitId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const res = await tx.delete(NotifyPolicyEntity, { unitId });
      if (!res.affected) throw new AppError('notifications.policy_not_found', { field: 'unitId' });
      await this.audited(tx, ctx, 'notifications.policy.delete', unitId, {});
    });
    this.onChange(null);
  }

  /** The policy, preferences and effective rules of one person. */
  async applied(userId: string): Promise<Applied> {
    const person = await this.directory.person(userId);
    const policy = await this.nearest(person?.unitIds ?? []);
    const prefRow = await this.db.manager.findOneBy(NotifyPreferenceEntity, { userId });
    const preferences = prefRow
      ? (JSON.parse(prefRow.preferences) as Partial<Record<Priority, NotifyPreference>>)
      : {};
    const effective = Object.fromEntries(
      PRIORITIES.map((p) => [p, applyPreference(p, policy.rules[p], preferences[p])]),
    ) as Rules;
    return {
      policyUnitId: policy.unitId,
      policy: policy.rules,
      preferences,
      effective,
      dndMaxHoldSeconds: policy.dndMaxHoldSeconds,
      digestIntervalSeconds: policy.digestIntervalSeconds,
    };
  }

  async mine(userId: string): Promise<MyNotificationsView> {
    return this.applied(userId);
  }

  async setMine(ctx: CallContext, userId: string, input: NotifyPreferencesInput) {
    const current = await this.applied(userId);
    for (const p of PRIORITIES) {
      const pref = input.preferences[p];
      if (!pref) continue;
      const no = refusal(p, current.policy[p], pref);
      if (no)
        throw new AppError('notifications.preference_not_allowed', {
          field: no[0],
          message: no[1],
          details: { in: 'body' },
        });
    }
    await this.db.transaction(async (tx) => {
      await tx.delete(NotifyPreferenceEntity, { userId });
      await tx.insert(NotifyPreferenceEntity, {
        userId,
        preferences: JSON.stringify(input.preferences),
        updatedAt: iso(this.clock.now()),
      });
      await this.audited(tx, ctx, 'notifications.preferences.set', userId, {
        modes: Object.fromEntries(
          PRIORITIES.filter((p) => input.preferences[p]).map((p) => [
            p,
            input.preferences[p]!.mode ?? null,
          ]),
        ),
      });
    });
    this.onChange(userId);
    return this.applied(userId);
  }

  /** The nearest policy up the tree from any of these units (fewest steps wins). */
  private async nearest(unitIds: string[]) {
    const rows = new Map(
      (await this.db.manager.find(NotifyPolicyEntity)).map((r) => [r.unitId, r]),
    );
    let best: { row: NotifyPolicyRow; depth: number } | null = null;
    if (rows.size > 0 && unitIds.length > 0) {
      const parent = new Map((await this.directory.units()).map((u) => [u.id, u.parentId]));
      for (const start of unitIds) {
        let id: string | null = start;
        for (let depth = 0; id && depth < 32; depth++) {
          const hit = rows.get(id);
          if (hit) {
            if (!best || depth < best.depth) best = { row: hit, depth };
            break;
          }
          id = parent.get(id) ?? null;
        }
      }
    }
    if (!best) return { unitId: null, ...DEFAULT_POLICY };
    return {
      unitId: best.row.unitId,
      rules: JSON.parse(best.row.rules) as Rules,
      dndMaxHoldSeconds: best.row.dndMaxHoldSeconds,
      digestIntervalSeconds: best.row.digestIntervalSeconds,
    };
  }

  private async unitNames(): Promise<Map<string, string>> {
    return new Map((await this.directory.units()).map((u) => [u.id, u.name]));
  }

  private async audited(
    tx: EntityManager,
    ctx: CallContext,
    action: string,
    targetId: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.append(tx, {
      actorId: ctx.actorId,
      deviceId: ctx.deviceId,
      requestId: ctx.requestId,
      action,
      targetType: action.startsWith('notifications.policy') ? 'unit' : 'staff',
      targetId,
      details,
    });
  }
}

function view(r: NotifyPolicyRow, unitName: string): NotifyPolicyView {
  return {
    unitId: r.unitId,
    unitName,
    rules: JSON.parse(r.rules) as Rules,
    dndMaxHoldSeconds: r.dndMaxHoldSeconds,
    digestIntervalSeconds: r.digestIntervalSeconds,
    updatedAt: r.updatedAt,
    updatedBy: r.updatedBy,
  };
}
