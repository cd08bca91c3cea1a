import { nextCronTime, nextSyncTime } from './next-sync-time';

describe('next sync time', () => {
  const now = new Date('2026-03-10T12:07:00Z');

  it('follows the cron in the tenant timezone', () => {
    // 06:00 in São Paulo (UTC-3, no DST in 2026) is 09:00Z: today's has passed, so tomorrow's.
    expect(nextCronTime('0 6 * * *', 'America/Sao_Paulo', now).toISOString()).toBe('2026-03-11T09:00:00.000Z');
    expect(nextCronTime('*/15 * * * *', 'UTC', now).toISOString()).toBe('2026-03-10T12:15:00.000Z');
  });

  it('adds a jitter of at most 10 % of the interval, capped at a minute', () => {
    // Every 15 minutes: 10 % is 90 s, capped at 60 s; random 0.5 -> 30 s.
    expect(nextSyncTime('*/15 * * * *', 'UTC', now, 0, () => 0.5).toISOString()).toBe('2026-03-10T12:15:30.000Z');
    // Every minute: 10 % is 6 s; random 0.99 -> 5.94 s, floored to 5940 ms.
    expect(nextSyncTime('* * * * *', 'UTC', now, 0, () => 0.99).toISOString()).toBe('2026-03-10T12:08:05.940Z');
  });

  it('backs off exponentially after failures, never earlier than the cron', () => {
    // 3 failures: 4 minutes from now, later than the next every-minute tick.
    expect(nextSyncTime('* * * * *', 'UTC', now, 3, () => 0).toISOString()).toBe('2026-03-10T12:11:00.000Z');
    // 20 failures: capped at 6 h.
    expect(nextSyncTime('* * * * *', 'UTC', now, 20, () => 0).toISOString()).toBe('2026-03-10T18:07:00.000Z');
    // A daily cron is already later than a 1-minute backoff.
    expect(nextSyncTime('0 6 * * *', 'UTC', now, 1, () => 0).toISOString()).toBe('2026-03-11T06:00:00.000Z');
  });
});
