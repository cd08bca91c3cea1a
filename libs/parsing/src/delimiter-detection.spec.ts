import { detectDelimiter } from './delimiter-detection';

describe('detectDelimiter', () => {
  it.each([
    ['a,b,c\n1,2,3\n', ','],
    ['a;b;c\n1,5;2,5;3\n', ';'],
    ['a\tb\n1\t2\n', '\t'],
    ['a|b\n1|2\n', '|'],
    // Commas inside quotes do not count: the file is `;`-separated.
    ['"x, y";b\n"1, 2, 3";4\n', ';'],
    ['single\nvalue\n', ','],
    // Records ended by a lone CR (old Mac exports), commas in the values.
    ['sku;name;price\rA;x;12,5\rB;y;3,0\r', ';'],
    ['a;b\r\n1,5;2\r\n', ';'],
  ] as const)('detects the delimiter of %j', (sample, expected) => {
    expect(detectDelimiter(sample, true)).toBe(expected);
  });

  it('ignores a last line cut by the end of the sample', () => {
    expect(detectDelimiter('a;b\n1;2\n3;4\n5,6,7,8', false)).toBe(';');
  });
});
