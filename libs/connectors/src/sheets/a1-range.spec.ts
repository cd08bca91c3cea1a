import { a1Range } from './sheets-connector';

describe('a1Range', () => {
  it('quotes the tab title, doubling its apostrophes', () => {
    expect(a1Range("Q1 'live'", 1, 500, 5)).toBe("'Q1 ''live'''!A1:E500");
    expect(a1Range("It's", 3, 3, 1)).toBe("'It''s'!A3:A3");
    expect(a1Range('Sheet1!A1:B2', 1, 2, 2)).toBe("'Sheet1!A1:B2'!A1:B2");
  });

  it('names the last column in letters, up to the widest grid Sheets allows (18 278 columns)', () => {
    expect([26, 27, 52, 100, 702, 703, 16_384, 18_278].map((columns) => a1Range('T', 1, 1, columns).slice(7, -1))).toEqual([
      'Z', 'AA', 'AZ', 'CV', 'ZZ', 'AAA', 'XFD', 'ZZZ',
    ]);
  });
});
