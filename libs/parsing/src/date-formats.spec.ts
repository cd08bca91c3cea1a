import { ZonedTime } from './zoned-time';
import { canonicalIsoDate, canonicalUtcInstant, fixedDayMonthInstant, dayMonthEvidence, readDate, readEpochMillis } from './date-formats';

describe('readDate', () => {
  it('reads ISO dates and date-times with or without offset', () => {
    expect(readDate('2024-02-29', undefined)).toMatchObject({ year: 2024, month: 2, day: 29, hasTime: false, offsetMinutes: undefined });
    expect(readDate('2024-03-04T10:20:30.5-03:30', undefined)).toMatchObject({ hour: 10, minute: 20, second: 30, millis: 500, offsetMinutes: -210 });
    expect(readDate('2024-03-04 10:20', undefined)).toMatchObject({ hour: 10, minute: 20, second: 0, hasTime: true });
    expect(readDate('2024-03-04T10:20:00Z', undefined)).toMatchObject({ offsetMinutes: 0 });
  });

  it('reads day/month dates in the given order, or the only way an unambiguous one can be read', () => {
    expect(readDate('04/03/2024', 'dmy')).toMatchObject({ year: 2024, month: 3, day: 4 });
    expect(readDate('04/03/2024', 'mdy')).toMatchObject({ year: 2024, month: 4, day: 3 });
    expect(readDate('4.3.2024 7:05:09', 'dmy')).toMatchObject({ month: 3, day: 4, hour: 7, minute: 5, second: 9 });
    expect(readDate('31/12/2023', undefined)).toMatchObject({ month: 12, day: 31 });
    expect(readDate('12/31/2023', undefined)).toMatchObject({ month: 12, day: 31 });
    expect(readDate('03/04/2024', undefined)).toBe('ambiguous');
  });

  it('reads a 12-hour clock with AM/PM', () => {
    expect(readDate('3/1/2024 1:05 PM', 'mdy')).toMatchObject({ month: 3, day: 1, hour: 13, minute: 5 });
    expect(readDate('3/1/2024 12:30:15 am', 'mdy')).toMatchObject({ hour: 0, minute: 30, second: 15 });
    expect(readDate('3/1/2024 12:00 p.m.', 'mdy')).toMatchObject({ hour: 12 });
    expect(readDate('3/1/2024 13:00 PM', 'mdy')).toBe('invalid');
  });

  it('refuses impossible calendar values', () => {
    expect(readDate('2023-02-29', undefined)).toBe('invalid');
    expect(readDate('2024-13-01', undefined)).toBe('invalid');
    expect(readDate('31/04/2024', 'dmy')).toBe('invalid');
    expect(readDate('2024-01-01T24:00:00', undefined)).toBe('invalid');
    expect(readDate('yesterday', undefined)).toBe('invalid');
  });
});

describe('dayMonthEvidence', () => {
  it('votes only when one number is above 12', () => {
    expect(dayMonthEvidence('13/01/2024')).toBe('dmy');
    expect(dayMonthEvidence('01/13/2024')).toBe('mdy');
    expect(dayMonthEvidence('01/02/2024')).toBeUndefined();
    expect(dayMonthEvidence('2024-01-13')).toBeUndefined();
  });
});

describe('readEpochMillis', () => {
  it('detects seconds (9-10 digits) and milliseconds (12-13 digits) only', () => {
    expect(readEpochMillis('1709287200', 'auto')).toBe(1_709_287_200_000);
    expect(readEpochMillis('1709287200123', 'auto')).toBe(1_709_287_200_123);
    expect(readEpochMillis('20240304', 'auto')).toBeUndefined();
    expect(readEpochMillis('2024', 'auto')).toBeUndefined();
    expect(readEpochMillis('86400', 'seconds')).toBe(86_400_000);
  });

  it('refuses epoch seconds (9-10 digits) given as milliseconds instead of reading a day of early 1970', () => {
    expect(readEpochMillis('1711843200', 'millis')).toBeUndefined();
    expect(readEpochMillis('-171184320', 'millis')).toBeUndefined();
    expect(readEpochMillis('1711843200000', 'millis')).toBe(1_711_843_200_000);
    expect(readEpochMillis('86400000', 'millis')).toBe(86_400_000);
  });
});

describe('canonicalUtcInstant', () => {
  it('passes ISO UTC instants through and leaves everything else to the general reader', () => {
    expect(canonicalUtcInstant('2024-03-31T14:05:00Z')).toBe('2024-03-31T14:05:00.000Z');
    expect(canonicalUtcInstant('2024-03-31T14:05:00.123Z')).toBe('2024-03-31T14:05:00.123Z');
    expect(canonicalUtcInstant('2024-02-30T14:05:00Z')).toBeUndefined();
    expect(canonicalUtcInstant('2024-03-31T14:05:00+01')).toBeUndefined();
  });
});

describe('canonicalIsoDate', () => {
  it('passes real YYYY-MM-DD days through only', () => {
    expect(canonicalIsoDate('2024-02-29')).toBe('2024-02-29');
    expect(canonicalIsoDate('2023-02-29')).toBeUndefined();
    expect(canonicalIsoDate('2024-2-29')).toBeUndefined();
  });
});

describe('fixedDayMonthInstant', () => {
  const saoPaulo = new ZonedTime('America/Sao_Paulo');
  it('reads fixed-width day/month date-times in the zone, and leaves other forms to the general reader', () => {
    expect(new Date(fixedDayMonthInstant('31/12/2023 23:30:59', 'dmy', saoPaulo) as number).toISOString()).toBe('2024-01-01T02:30:59.000Z');
    expect(new Date(fixedDayMonthInstant('12/31/2023 23:30', 'mdy', saoPaulo) as number).toISOString()).toBe('2024-01-01T02:30:00.000Z');
    expect(new Date(fixedDayMonthInstant('05/02/2024', 'dmy', saoPaulo) as number).toISOString()).toBe('2024-02-05T03:00:00.000Z');
    expect(fixedDayMonthInstant('31/02/2024', 'dmy', saoPaulo)).toBeUndefined();
    expect(fixedDayMonthInstant('5/2/2024', 'dmy', saoPaulo)).toBeUndefined();
    expect(fixedDayMonthInstant('05.02.2024', 'dmy', saoPaulo)).toBeUndefined();
  });
});
