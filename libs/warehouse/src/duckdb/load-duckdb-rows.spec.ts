import { stagedCsv } from './load-duckdb-rows';

describe('stagedCsv', () => {
  it('writes the staged format: header in column order, NULL empty and unquoted, everything else quoted', () => {
    expect(
      stagedCsv('products', [
        { sku: 'A-1', name: 'Mug, "large"', price: 12.5 },
        { sku: 'B', name: '', category: null, custom: { color: 'red' } },
      ]),
    ).toBe(['sku,name,category,price,custom', '"A-1","Mug, ""large""",,"12.5",', '"B","",,,"{""color"":""red""}"', ''].join('\n'));
  });

  it('writes Dates as ISO UTC and rejects unknown columns', () => {
    expect(stagedCsv('orders', [{ external_id: 'o', customer_external_id: 'c', ordered_at: new Date(Date.UTC(2024, 2, 1, 10)) }]).split('\n')[1]).toBe(
      '"o","c","2024-03-01T10:00:00.000Z",,,,',
    );
    expect(() => stagedCsv('products', [{ sku: 'A', colour: 'red' }])).toThrow('Unknown products column(s) colour');
  });
});
