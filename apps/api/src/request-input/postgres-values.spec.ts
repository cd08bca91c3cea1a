import { isPostgresDate, isPostgresInstant, isPostgresInteger, isPostgresText } from './postgres-values';

describe('isPostgresDate', () => {
  it.each(['2026-01-31', '2024-02-29', '2000-02-29', '0001-01-01', '9999-12-31'])('accepts %s', (text) => {
    expect(isPostgresDate(text)).toBe(true);
  });

  it.each(['2026-02-30', '2026-02-29', '1900-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '0000-01-01', '10000-01-01', '2026-1-1', '2026-01-01T00:00Z', ''])(
    'refuses %j',
    (text) => {
      expect(isPostgresDate(text)).toBe(false);
    },
  );
});

describe('isPostgresInstant', () => {
  it.each(['2026-01-31', '2024-02-29T23:59:59.999999Z', '2026-01-01T00:00Z', '2026-01-01T00:00+15:59', '2026-01-01T00:00-15:59', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z'])(
    'accepts %s',
    (text) => {
      expect(isPostgresInstant(text)).toBe(true);
    },
  );

  it.each([
    ['a day February does not have', '2026-02-30'],
    ['year 0000', '0000-01-01'],
    ['an offset beyond ±15:59', '2026-01-01T00:00+16:00'],
    ['an offset with 60 minutes', '2026-01-01T00:00-10:60'],
    ['hour 24', '2026-01-01T24:00Z'],
    ['minute 60', '2026-01-01T10:60Z'],
    ['second 60', '2026-01-01T10:00:60Z'],
    ['month 13', '2026-13-01T00:00:00.000000Z'],
    ['a time without zone', '2026-01-01T00:00'],
    ['seven fraction digits', '2026-01-01T00:00:00.1234567Z'],
    ['words', 'yesterday'],
  ])('refuses %s', (_case, text) => {
    expect(isPostgresInstant(text)).toBe(false);
  });
});

describe('isPostgresInteger', () => {
  it.each([
    ['2147483647', 'integer', true],
    ['-2147483648', 'integer', true],
    ['2147483648', 'integer', false],
    ['9999999999', 'integer', false],
    ['9223372036854775807', 'bigint', true],
    ['-9223372036854775808', 'bigint', true],
    ['9223372036854775808', 'bigint', false],
    ['9999999999999999999', 'bigint', false],
    ['1.5', 'integer', false],
    ['0x10', 'bigint', false],
    ['', 'bigint', false],
  ] as const)('%s as %s: %s', (text, type, fits) => {
    expect(isPostgresInteger(text, type)).toBe(fits);
  });
});

describe('isPostgresText', () => {
  it('refuses text holding a NUL character, anything else is text', () => {
    expect(isPostgresText('a\u0000b')).toBe(false);
    expect(isPostgresText('日本 \u0001 \\u0000')).toBe(true);
  });
});
