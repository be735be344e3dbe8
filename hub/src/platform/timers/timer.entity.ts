import { EntitySchema } from 'typeorm';

/** Where a durable timer is in its life. `failed`: its stored payload could not be read. */
export type TimerState = 'scheduled' | 'fired' | 'cancelled' | 'failed';

/** One deadline (ADR 0019). Times are UTC ISO 8601 text, payload is JSON text. */
export interface DurableTimerRow {
  id: string;
  kind: string;
  key: string;
  dueAt: string;
  payload: string;
  state: TimerState;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  firedAt: string | null;
}

const v = (length: number, nullable = false, name?: string) => ({
  type: 'varchar' as const,
  length,
  nullable,
  ...(name ? { name } : {}),
});

export const DurableTimerEntity = new EntitySchema<DurableTimerRow>({
  name: 'DurableTimer',
  tableName: 'durable_timer',
  columns: {
    id: { ...v(36), primary: true },
    kind: v(60),
    key: v(200),
    dueAt: v(30, false, 'due_at'),
    payload: { type: 'text' },
    state: v(12),
    attempts: { type: 'integer', default: 0 },
    lastError: v(500, true, 'last_error'),
    createdAt: v(30, false, 'created_at'),
    firedAt: v(30, true, 'fired_at'),
  },
});

export const TIMER_ENTITIES = [DurableTimerEntity];
