import { fixedDayMonthDate, instantOf, isoDateOf, readDate, type DayMonthOrder } from './date-formats';
import { IsoInstantFormatter } from './iso-instant';
import { canonicalConverter, type ColumnLocale } from './value-converters';
import { ZonedTime } from './zoned-time';

// Fast paths for dates and instants, checked against Date#toISOString and the general reader (readDate),
// and against values worked out by hand from the timezone's published history.

/** Deterministic pseudo-random numbers in [0, 1) (LCG), so a failure can be replayed. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('IsoInstantFormatter', () => {
  const edges = [
    0,
    -1,
    1,
    Date.UTC(2024, 1, 29, 23, 59, 59, 999), // leap day, last millisecond
    Date.UTC(2000, 1, 29, 12), // leap century
    Date.UTC(2100, 1, 28, 23, 59, 59), // 2100 is not a leap year: next second is 1 March
    Date.UTC(2100, 1, 28, 23, 59, 59) + 1000,
    -62_135_596_800_000, // 0001-01-01T00:00:00.000Z
    -62_135_596_800_001, // year 0: toISOString's own form
    253_402_300_799_999, // 9999-12-31T23:59:59.999Z
    253_402_300_800_000, // +010000-01-01
    -8.64e15,
    8.64e15,
    1.5, // not a whole millisecond: truncated like Date
    Date.UTC(1969, 11, 31, 23, 59, 59, 1),
  ];

  it.each(edges)('writes %p exactly as toISOString', (instant) => {
    const formatter = new IsoInstantFormatter();
    // Twice: the second answer comes from the caches.
    expect(formatter.format(instant)).toBe(new Date(instant).toISOString());
    expect(formatter.format(instant)).toBe(new Date(instant).toISOString());
  });

  it('agrees with toISOString on 50,000 instants from 1900 to 2100 sharing one formatter', () => {
    const formatter = new IsoInstantFormatter();
    const next = generator(7);
    const from = Date.UTC(1900, 0, 1);
    const span = Date.UTC(2100, 0, 1) - from;
    const disagreements: number[] = [];
    for (let n = 0; n < 50_000; n += 1) {
      // Half on whole seconds (as most files have), half with milliseconds.
      const instant = from + Math.floor(next() * span);
      const value = n % 2 === 0 ? instant - (((instant % 1000) + 1000) % 1000) : instant;
      if (formatter.format(value) !== new Date(value).toISOString()) disagreements.push(value);
    }
    expect(disagreements).toEqual([]);
  });
});

describe('timestamp converter in America/Sao_Paulo (fast day/month path and general reader)', () => {
  const zone = new ZonedTime('America/Sao_Paulo');
  const locale = (order: DayMonthOrder | undefined): ColumnLocale => ({ decimalSeparator: ',', dates: { order, epoch: 'auto', isoOnly: false }, zone });
  const field = { name: 'ordered_at', type: 'timestamp', required: true } as const;
  const dayFirst = canonicalConverter(field, locale('dmy'), undefined);
  const openOrder = canonicalConverter(field, locale(undefined), undefined);

  // Brazil's DST: from 2018-11-04 00:00 (UTC-3) clocks jumped to 01:00 (UTC-2); on 2019-02-17 00:00
  // (UTC-2) they went back to 2019-02-16 23:00 (UTC-3); no DST since. In the repeated hour the offset in
  // force before the change applies.
  it.each([
    ['03/11/2018 23:30:00', '2018-11-04T02:30:00.000'], // UTC-3
    ['04/11/2018 01:30:00', '2018-11-04T03:30:00.000'], // UTC-2
    ['16/02/2019 22:30:00', '2019-02-17T00:30:00.000'], // UTC-2
    ['16/02/2019 23:30:00', '2019-02-17T01:30:00.000'], // repeated hour: UTC-2 (before the change)
    ['17/02/2019 00:30:00', '2019-02-17T03:30:00.000'], // UTC-3
    ['29/02/2024 23:59:59', '2024-03-01T02:59:59.000'], // leap day, UTC-3
    ['31/12/2023 23:30', '2024-01-01T02:30:00.000'],
    ['01/01/2024', '2024-01-01T03:00:00.000'], // a date alone is midnight in the zone
  ])('reads %s as %sZ, on the fast path and through the general reader', (text, expected) => {
    expect(dayFirst(text)).toBe(`${expected}Z`);
    // The same wall-clock time written in ISO without an offset goes through the general reader.
    const [day, month, rest] = text.split('/') as [string, string, string];
    const [year, time] = rest.split(' ') as [string, string | undefined];
    expect(openOrder(`${year}-${month}-${day}${time === undefined ? '' : ` ${time}`}`)).toBe(`${expected}Z`);
  });

  it.each([
    ['2024-03-01 10:00:00.5', '2024-03-01T13:00:00.500Z'], // fraction, zone offset
    ['2024-03-01T10:00:00.123-03:00', '2024-03-01T13:00:00.123Z'],
    ['2024-03-01T10:00:00+0530', '2024-03-01T04:30:00.000Z'],
    ['2024-03-01T10:00:00.123456789Z', '2024-03-01T10:00:00.123Z'], // digits past milliseconds dropped
    ['1709287200', '2024-03-01T10:00:00.000Z'], // epoch seconds
    ['1709287200123', '2024-03-01T10:00:00.123Z'], // epoch milliseconds
    ['1905-01-01 00:00:00', '1905-01-01T03:06:28.000Z'], // São Paulo's local mean time before 1914: UTC-3:06:28
  ])('reads %s as %s', (text, expected) => {
    expect(dayFirst(text)).toBe(expected);
  });

  it('reads a time in the 2018-11-04 DST gap the same way on both paths', () => {
    // 00:30 did not exist that night; whichever instant the zone rule gives, both readers must give it.
    expect(dayFirst('04/11/2018 00:30:00')).toBe(openOrder('2018-11-04 00:30:00'));
    expect(dayFirst('04/11/2018 00:30:00')).toMatch(/^2018-11-04T0[23]:30:00\.000Z$/);
  });

  it('rejects impossible days on both paths', () => {
    for (const text of ['29/02/2023 10:00:00', '31/04/2024', '00/01/2024 10:00']) {
      expect(dayFirst(text)).toMatchObject({ reasonCode: 'invalid_timestamp' });
    }
  });
});

describe('fixedDayMonthDate', () => {
  it.each([
    ['29/02/2024', 'dmy', '2024-02-29'],
    ['02/29/2024', 'mdy', '2024-02-29'],
    ['31/12/2023', 'dmy', '2023-12-31'],
    ['01/01/0099', 'dmy', '0099-01-01'],
    ['29/02/2023', 'dmy', undefined], // not a leap year
    ['31/04/2024', 'dmy', undefined],
    ['00/01/2024', 'dmy', undefined],
    ['13/01/2024', 'mdy', undefined],
    ['1/2/2024', 'dmy', undefined], // not fixed width: the general reader's
    ['01-02-2024', 'dmy', undefined],
  ] as const)('reads %s (%s) as %s', (text, order, expected) => {
    expect(fixedDayMonthDate(text, order)).toBe(expected);
  });

  it('agrees with the general reader wherever it answers, on 20,000 generated texts', () => {
    const next = generator(11);
    const digits = (count: number): string => Array.from({ length: count }, () => String(Math.floor(next() * 10))).join('');
    const disagreements: string[] = [];
    let answered = 0;
    for (let n = 0; n < 20_000; n += 1) {
      // Day and month mostly in range, so that real days are common.
      const a = next() < 0.8 ? String(1 + Math.floor(next() * 31)).padStart(2, '0') : digits(2);
      const b = next() < 0.8 ? String(1 + Math.floor(next() * 12)).padStart(2, '0') : digits(2);
      const text = `${a}/${b}/${next() < 0.9 ? String(1900 + Math.floor(next() * 200)) : digits(4)}`;
      for (const order of ['dmy', 'mdy'] as const) {
        const fast = fixedDayMonthDate(text, order);
        const general = readDate(text, order);
        const expected = typeof general === 'string' ? undefined : isoDateOf(general);
        if (fast !== undefined) answered += 1;
        if (fast !== expected) disagreements.push(`${order} ${text}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(answered).toBeGreaterThan(10_000);
  });

  it('matches the instant reader on the same calendar day', () => {
    const reading = readDate('29/02/2024', 'dmy');
    expect(typeof reading).toBe('object');
    expect(new Date(instantOf(reading as Exclude<typeof reading, string>, new ZonedTime('UTC'))).toISOString().slice(0, 10)).toBe(fixedDayMonthDate('29/02/2024', 'dmy'));
  });
});
