import { ZonedTime } from './zoned-time';

describe('ZonedTime', () => {
  it('reads wall-clock times in the zone, across daylight saving changes', () => {
    const newYork = new ZonedTime('America/New_York');
    // Winter: UTC-5; summer: UTC-4 (DST from 10 March 2024).
    expect(new Date(newYork.toUtc(Date.UTC(2024, 0, 15, 12, 0))).toISOString()).toBe('2024-01-15T17:00:00.000Z');
    expect(new Date(newYork.toUtc(Date.UTC(2024, 6, 15, 12, 0))).toISOString()).toBe('2024-07-15T16:00:00.000Z');
    // São Paulo has had no DST since 2019: always UTC-3.
    const saoPaulo = new ZonedTime('America/Sao_Paulo');
    expect(new Date(saoPaulo.toUtc(Date.UTC(2024, 0, 1, 0, 0))).toISOString()).toBe('2024-01-01T03:00:00.000Z');
    expect(new Date(saoPaulo.toLocal(Date.UTC(2024, 0, 1, 2, 0))).toISOString()).toBe('2023-12-31T23:00:00.000Z');
  });

  it('uses the right offset on both sides of a change within one day (cached per hour on such days)', () => {
    const newYork = new ZonedTime('America/New_York');
    // 10 March 2024: clocks go from 02:00 EST to 03:00 EDT.
    expect(new Date(newYork.toUtc(Date.UTC(2024, 2, 10, 1, 30))).toISOString()).toBe('2024-03-10T06:30:00.000Z');
    expect(new Date(newYork.toUtc(Date.UTC(2024, 2, 10, 3, 30))).toISOString()).toBe('2024-03-10T07:30:00.000Z');
    expect(new Date(newYork.toUtc(Date.UTC(2024, 2, 10, 23, 0))).toISOString()).toBe('2024-03-11T03:00:00.000Z');
    // 3 November 2024: back from EDT to EST at 02:00.
    expect(new Date(newYork.toUtc(Date.UTC(2024, 10, 3, 0, 30))).toISOString()).toBe('2024-11-03T04:30:00.000Z');
    expect(new Date(newYork.toUtc(Date.UTC(2024, 10, 3, 12, 0))).toISOString()).toBe('2024-11-03T17:00:00.000Z');
  });

  it('refuses an unknown zone', () => {
    expect(() => new ZonedTime('Nowhere/City')).toThrow(expect.objectContaining({ code: 'unknown_timezone' }));
  });
});
