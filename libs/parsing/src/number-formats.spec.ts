import { detectDecimalSeparator, parseCustomNumber, parseDecimal, parseInteger } from './number-formats';

describe('parseDecimal', () => {
  it.each([
    ['1.234,56', ',', '1234.5600'],
    ['-1.234.567,5', ',', '-1234567.5000'],
    ['0,99', ',', '0.9900'],
    [' 12 ', ',', '12.0000'],
    ['1,234.56', '.', '1234.5600'],
    ['+7.50', '.', '7.5000'],
    ['1234', '.', '1234.0000'],
    ['007.123456', '.', '7.123456'],
    ['-0', '.', '0.0000'],
    ['-0,000', ',', '0.0000'],
  ] as const)('reads %s with %s as %s', (text, separator, expected) => {
    expect(parseDecimal(text, separator)).toBe(expected);
  });

  it.each([
    ['1,234.56', ','],
    ['12,34.5', '.'],
    ['1.2.3', '.'],
    ['abc', '.'],
    ['', '.'],
    ['1e5', '.'],
  ] as const)('refuses %s with %s', (text, separator) => {
    expect(parseDecimal(text, separator)).toBeUndefined();
  });
});

describe('parseInteger', () => {
  it('reads digits with a sign and drops leading zeros', () => {
    expect(parseInteger('007')).toBe('7');
    expect(parseInteger('-0')).toBe('0');
    expect(parseInteger(' +12 ')).toBe('12');
    expect(parseInteger('1.5')).toBeUndefined();
  });
});

describe('detectDecimalSeparator', () => {
  it('follows unambiguous values, ignores 1.234 / 1,234, and falls back on the delimiter', () => {
    expect(detectDecimalSeparator(['12,5', '1.234'], ',')).toBe(',');
    expect(detectDecimalSeparator(['12.5', '1,234'], ';')).toBe('.');
    expect(detectDecimalSeparator(['1.234', '7'], ';')).toBe(',');
    expect(detectDecimalSeparator(['1,234', 'x'], ',')).toBe('.');
  });
});

describe('parseCustomNumber', () => {
  it('reads numbers but keeps codes with leading zeros out', () => {
    expect(parseCustomNumber('1.234,5', ',')).toBe(1234.5);
    expect(parseCustomNumber('0,5', ',')).toBe(0.5);
    expect(parseCustomNumber('00123', '.')).toBeUndefined();
  });
});
