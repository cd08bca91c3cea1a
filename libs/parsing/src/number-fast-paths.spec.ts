import { parseDecimal, parseDecimalByPattern, type DecimalSeparator } from './number-formats';

// parseDecimal reads most values through character-code fast paths; parseDecimalByPattern is the general
// (regex) reader. They must agree on every text: first on hand-worked edge cases, then on many generated texts.
describe('parseDecimal fast paths', () => {
  it.each([
    // decimal comma, with and without grouping
    ['1.992,59', ',', '1992.5900'],
    ['157.552.364,00', ',', '157552364.0000'],
    ['-71,27', ',', '-71.2700'],
    ['5,00', ',', '5.0000'],
    ['0,5', ',', '0.5000'],
    ['-0,5', ',', '-0.5000'],
    ['12,34567', ',', '12.34567'],
    ['1.234', ',', '1234.0000'],
    ['999.999.999.999,9999', ',', '999999999999.9999'],
    // dot decimal with comma grouping
    ['1,234.56', '.', '1234.5600'],
    ['-12,345,678.9', '.', '-12345678.9000'],
    // left to the general reader, same answers
    ['-0,00', ',', '0.0000'],
    ['00,5', ',', '0.5000'],
    ['+1,5', ',', '1.5000'],
    [' 1.234,5 ', ',', '1234.5000'],
  ] as const)('reads %s with %s as %s', (text, separator, expected) => {
    expect(parseDecimal(text, separator)).toBe(expected);
    expect(parseDecimalByPattern(text, separator)).toBe(expected);
  });

  it.each([
    ['1.23,4', ','],
    ['1234.567,8', ','],
    ['12.34.567,8', ','],
    ['1.234.', ','],
    ['1,', ','],
    [',5', ','],
    ['1,5e3', ','],
    ['1.5E3', '.'],
    ['1,2345.6', '.'],
    ['-', ','],
    ['--1,5', ','],
    ['1 234,5', ','],
    // 0 is no thousands group (it would turn 0.500 into 500).
    ['0.123,5', ','],
    ['0.500', ','],
  ] as const)('refuses %s with %s', (text, separator) => {
    expect(parseDecimal(text, separator)).toBeUndefined();
    expect(parseDecimalByPattern(text, separator)).toBeUndefined();
  });

  it('agrees with the general reader on 20,000 generated texts per separator', () => {
    // A small deterministic generator (LCG) over the characters numbers are written with.
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const alphabet = ['0', '1', '5', '9', '0', '3', '.', ',', '-', '+', ' ', 'e'];
    const disagreements: string[] = [];
    let read = 0;
    for (const separator of [',', '.'] as DecimalSeparator[]) {
      for (let n = 0; n < 20_000; n += 1) {
        let text = '';
        const length = 1 + Math.floor(next() * 12);
        for (let i = 0; i < length; i += 1) text += alphabet[Math.floor(next() * alphabet.length)];
        const fast = parseDecimal(text, separator);
        if (fast !== undefined) read += 1;
        if (fast !== parseDecimalByPattern(text, separator)) disagreements.push(`${separator} ${JSON.stringify(text)}`);
      }
    }
    expect(disagreements).toEqual([]);
    // The texts exercise both outcomes, not only refusals.
    expect(read).toBeGreaterThan(1000);
  });
});
