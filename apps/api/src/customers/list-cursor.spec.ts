import { PRODUCT_SORT_FIELDS, PRODUCT_TIEBREAKER } from '../products/product-list.sql';
import { CUSTOMER_SORT_FIELDS, CUSTOMER_TIEBREAKER } from './customer-list-fields';
import { decodeCursor, encodeCursor } from './list-cursor';
import { parseSort, sortSignature } from './list-sort';
import { fieldErrorsOf } from '../testing/cursor-testing';

/** Decodes a cursor made for `sort` of the customers (or products) list, as the list route would. */
function decodeFor(sort: string, values: Array<string | null>, id: string, list: 'customers' | 'products' = 'customers') {
  const fields = list === 'customers' ? CUSTOMER_SORT_FIELDS : PRODUCT_SORT_FIELDS;
  const keys = parseSort(sort, fields, sort);
  const signature = sortSignature(keys);
  return decodeCursor(encodeCursor(signature, { values, id }), signature, keys, list === 'customers' ? CUSTOMER_TIEBREAKER : PRODUCT_TIEBREAKER);
}

describe('decodeCursor', () => {
  it('accepts values at the limits of their column types', () => {
    expect(decodeFor('orders', ['2147483647'], '9223372036854775807')).toEqual({ values: ['2147483647'], id: '9223372036854775807' });
    expect(decodeFor('-lastOrderAt', ['2024-02-29T23:59:59.999999Z'], '1').values).toEqual(['2024-02-29T23:59:59.999999Z']);
    expect(decodeFor('name', ['日本 \\u0000'], 'SKU-1', 'products').values).toEqual(['日本 \\u0000']);
    // The largest amount a NUMERIC(38,4) KPI column holds.
    const largest = `${'9'.repeat(34)}.9999`;
    expect(decodeFor('-revenueTotal', [largest], '1').values).toEqual([largest]);
  });

  it('carries text as long as ingestion stores it (2600 bytes of UTF-8): a long name never ends the walk', () => {
    const longName = 'A'.repeat(2600);
    const accented = 'é'.repeat(1300);
    expect(decodeFor('name', [longName], '1').values).toEqual([longName]);
    expect(decodeFor('-name', [accented], '1').values).toEqual([accented]);
    expect(decodeFor('sku', ['S'.repeat(2600)], 'S'.repeat(2600), 'products').id).toBe('S'.repeat(2600));
  });

  it.each([
    ['an integer beyond int4', 'orders', ['9999999999'], '1', 'customers'],
    ['an id beyond int8', 'name', ['x'], '9999999999999999999', 'customers'],
    ['a timestamp in month 13', 'lastOrderAt', ['2026-13-01T00:00:00.000000Z'], '1', 'customers'],
    ['a timestamp on February 30', 'lastOrderAt', ['2026-02-30T00:00:00.000000Z'], '1', 'customers'],
    ['a timestamp in year 0000', 'firstOrderAt', ['0000-01-01T00:00:00.000000Z'], '1', 'customers'],
    ['a text value with a NUL character', 'name', ['a\u0000'], '1', 'customers'],
    ['a text id with a NUL character', 'sku', ['SKU-1'], 'SKU-1\u0000', 'products'],
  ] as const)('refuses %s as invalid_cursor', (_case, sort, values, id, list) => {
    expect(fieldErrorsOf(() => decodeFor(sort, [...values], id, list))).toEqual([expect.objectContaining({ field: 'query.cursor', code: 'invalid_cursor' })]);
  });
});
