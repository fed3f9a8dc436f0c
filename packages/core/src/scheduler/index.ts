export { type Clock, ManualClock, systemClock } from "./clock.ts";
export {
  createScheduler,
  SCHEDULES_CHANNEL,
  type ScheduleInfo,
  Scheduler,
  type SchedulerOptions,
} from "./scheduler.ts";
export {
  DEFAULT_GRACE_MS,
  type NormalizedDefinition,
  parseDuration,
  type ScheduleDefinition,
  type ScheduleJobOptions,
} from "./spec.ts";
