import { detectDecimalSeparator, exactNumberOf, fitsDecimalColumn, parseCustomNumber, parseDecimal, parseInteger, plainNumberText } from './number-formats';

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
    // A first group of 0 is no thousands grouping: never 500.
    ['0.500', ','],
    ['-0.125', ','],
    ['0,500', '.'],
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

  it('counts 0.125 and 0,125 as votes: a leading 0 group is never thousands', () => {
    expect(detectDecimalSeparator(['0.125', '0.500'], ';')).toBe('.');
    expect(detectDecimalSeparator(['0,125', '1.234'], ',')).toBe(',');
  });
});

describe('parseCustomNumber', () => {
  it('reads numbers but keeps codes with leading zeros out', () => {
    expect(parseCustomNumber('1.234,5', ',')).toBe(1234.5);
    expect(parseCustomNumber('0,5', ',')).toBe(0.5);
    expect(parseCustomNumber('00123', '.')).toBeUndefined();
  });

  it('reads a number only when a JavaScript number keeps every digit of it', () => {
    expect(parseCustomNumber('123456789012345', '.')).toBe(123456789012345);
    expect(parseCustomNumber('1234567890123456', '.')).toBe(1234567890123456);
    expect(parseCustomNumber('0.30000000000000004', '.')).toBe(0.30000000000000004);
    expect(parseCustomNumber('12345678901234567890', '.')).toBeUndefined();
    expect(parseCustomNumber('9007199254740993', '.')).toBeUndefined();
    // Exactly 2^53: held exactly, but no longer a safe integer (2^53 + 1 would read the same).
    expect(parseCustomNumber('9007199254740992', '.')).toBeUndefined();
    expect(parseCustomNumber('1.0000000000000001', '.')).toBeUndefined();
    expect(parseCustomNumber('12.345.678.901.234.567,8', ',')).toBeUndefined();
    expect(parseCustomNumber('1.234.567.890.123,45', ',')).toBe(1234567890123.45);
  });
});

describe('exactNumberOf', () => {
  it('takes JSON number tokens with an exponent only when the double keeps their value', () => {
    expect(exactNumberOf('1.5e3')).toBe(1500);
    expect(exactNumberOf('-2E-7')).toBe(-2e-7);
    expect(exactNumberOf('0e5')).toBe(0);
    // Underflow (0), fewer digits below the normal doubles, overflow (Infinity), beyond the safe integers.
    expect(exactNumberOf('1e-400')).toBeUndefined();
    expect(exactNumberOf('1.2345678e-320')).toBeUndefined();
    expect(exactNumberOf('1e400')).toBeUndefined();
    expect(exactNumberOf('1e20')).toBeUndefined();
  });
});

describe('fitsDecimalColumn', () => {
  it.each([
    ['99999999999999.9999', true],
    ['99999999999999.99994999', true],
    ['99999999999999.99995', false],
    ['-99999999999999.99995', false],
    ['99999999999998.99999', true], // rounds to 99999999999999.0000
    ['89999999999999.99999', true],
    ['9999999999999.99999', true], // 13 digits: rounds to 14
    ['100000000000000.0000', false],
    ['0.0000', true],
  ] as const)('%s -> %s', (normalised, fits) => {
    expect(fitsDecimalColumn(normalised)).toBe(fits);
  });
});

describe('plainNumberText', () => {
  it.each([
    ['12.5', '12.5'],
    ['-0', '-0'],
    ['1e-7', '0.0000001'],
    ['-1.5E-7', '-0.00000015'],
    ['1e+21', '1000000000000000000000'],
    ['1.25e1', '12.5'],
    ['12e-1', '1.2'],
    ['1e999999999', '1e999999999'], // left for the converter to refuse
  ])('%s -> %s', (token, plain) => {
    expect(plainNumberText(token)).toBe(plain);
  });
});

describe('exactNumberOf', () => {
  it('reads JSON number tokens that keep every digit, in any notation', () => {
    expect(exactNumberOf('3.0000000000000004e-1')).toBe(0.30000000000000004);
    // 17 digits that are not the double's own shortest form (it writes ...4568): a digit would change.
    expect(exactNumberOf('1.2345678901234567e-5')).toBeUndefined();
    expect(exactNumberOf('12345678901234.5678')).toBeUndefined();
    expect(exactNumberOf('1e20')).toBeUndefined();
    expect(exactNumberOf('100.00000000000000000')).toBe(100);
  });
});
