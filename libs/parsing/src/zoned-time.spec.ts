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

  it('reads a time that does not exist (spring-forward gap) or exists twice (fall-back overlap) with the offset before the change', () => {
    const newYork = new ZonedTime('America/New_York');
    // 02:30 on 10 March 2024 never happened in New York; at the old offset (EST, -5) it is 07:30Z (03:30 EDT).
    expect(new Date(newYork.toUtc(Date.UTC(2024, 2, 10, 2, 30))).toISOString()).toBe('2024-03-10T07:30:00.000Z');
    // 01:30 on 3 November 2024 happened twice; the first time (EDT, -4) is 05:30Z.
    expect(new Date(newYork.toUtc(Date.UTC(2024, 10, 3, 1, 30))).toISOString()).toBe('2024-11-03T05:30:00.000Z');
    const saoPaulo = new ZonedTime('America/Sao_Paulo');
    // 4 November 2018: midnight became 01:00 (-3 -> -2); 00:30 at -3 is 03:30Z, as is 01:30 at -2.
    expect(new Date(saoPaulo.toUtc(Date.UTC(2018, 10, 4, 0, 30))).toISOString()).toBe('2018-11-04T03:30:00.000Z');
    expect(new Date(saoPaulo.toUtc(Date.UTC(2018, 10, 4, 1, 30))).toISOString()).toBe('2018-11-04T03:30:00.000Z');
    // 17 February 2019: midnight went back to 23:00 on the 16th (-2 -> -3); 23:30 on the 16th, first time (-2), is 01:30Z.
    expect(new Date(saoPaulo.toUtc(Date.UTC(2019, 1, 16, 23, 30))).toISOString()).toBe('2019-02-17T01:30:00.000Z');
  });

  it('refuses an unknown zone', () => {
    expect(() => new ZonedTime('Nowhere/City')).toThrow(expect.objectContaining({ code: 'unknown_timezone' }));
  });
});
