import { CronExpressionParser } from 'cron-parser';

/** Longest wait after repeated failures: a broken source is retried a few times a day, not hammered. */
export const MAX_BACKOFF_MS = 6 * 60 * 60 * 1000;
const FIRST_BACKOFF_MS = 60 * 1000;
/** Jitter spreads sources with the same cron (every tenant's "0 * * * *") over up to a minute. */
const MAX_JITTER_MS = 60 * 1000;

/** The next cron occurrence strictly after `after`, in the tenant's timezone. */
export function nextCronTime(schedule: string, timezone: string, after: Date): Date {
  return CronExpressionParser.parse(schedule, { currentDate: after, tz: timezone }).next().toDate();
}

/** Throws with the parser's reason when the expression is not a valid cron schedule. */
export function assertValidCron(schedule: string): void {
  CronExpressionParser.parse(schedule);
}

/**
 * When a source runs next: its next cron time plus a jitter of up to 10 % of the cron interval (at most
 * a minute), and after `failures` consecutive failures not before an exponential backoff (1 min, 2 min,
 * 4 min, ... up to 6 h) has passed.
 */
export function nextSyncTime(schedule: string, timezone: string, now: Date, failures: number, random: () => number = Math.random): Date {
  const next = nextCronTime(schedule, timezone, now);
  const following = nextCronTime(schedule, timezone, next);
  const jitter = Math.floor(random() * Math.min(MAX_JITTER_MS, (following.getTime() - next.getTime()) / 10));
  const scheduled = next.getTime() + jitter;
  if (failures <= 0) return new Date(scheduled);
  const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1));
  return new Date(Math.max(scheduled, now.getTime() + backoff));
}
