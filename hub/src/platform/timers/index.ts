export {
  DurableTimers,
  DEFAULT_MAX_ARM_MS,
  type DurableTimersOptions,
  type FiredTimer,
  type TimerHandler,
  type TimerSpec,
} from './durable-timers.js';
export {
  TIMER_ENTITIES,
  DurableTimerEntity,
  type DurableTimerRow,
  type TimerState,
} from './timer.entity.js';
