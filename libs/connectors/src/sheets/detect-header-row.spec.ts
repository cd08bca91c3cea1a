import { detectHeaderRow } from './sheets-connector';

describe('detectHeaderRow', () => {
  it('skips title and note rows that are narrower than the table', () => {
    expect(detectHeaderRow([['Report'], ['generated 2026-01-01', ''], ['id', 'name'], ['1', 'a'], [2, 'b']])).toBe(2);
  });

  it('takes the first row when it is already the header', () => {
    expect(detectHeaderRow([['id', 'name'], ['x', 'y']])).toBe(0);
  });

  it('refuses a header with duplicate or blank names, or a sheet without any', () => {
    expect(() => detectHeaderRow([['id', 'id'], [1, 2]])).toThrow('No header row found in the first 10 rows: set headerRow explicitly');
    expect(() => detectHeaderRow([[1, 2], [3, 4]])).toThrow('No header row found');
  });
});
