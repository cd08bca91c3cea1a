import { PRODUCT_NAME_SORT_CHARACTERS, PRODUCT_SORT_FIELDS, PRODUCT_TIEBREAKER } from '../products/product-list.sql';
import { CUSTOMER_SORT_FIELDS, CUSTOMER_TIEBREAKER } from './customer-list-fields';
import { decodeCursor, encodeCursor, MAX_CURSOR_LENGTH } from './list-cursor';
import { parseSort, sortSignature } from './list-sort';
import { fieldErrorsOf, forgedCursor } from '../testing/cursor-testing';

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

  it('carries text of control characters at one byte each (JSON escaped each into six and refused its own cursor)', () => {
    const controls = '\u0001'.repeat(2600);
    const cursor = encodeCursor('name', { values: [controls], id: '9223372036854775807' });
    expect(cursor.length).toBeLessThan(3600);
    expect(decodeFor('name', [controls], '9223372036854775807').values).toEqual([controls]);
    expect(decodeFor('sku', [controls], controls, 'products')).toEqual({ values: [controls], id: controls });
    expect(decodeFor('name', ['a "quoted" \\ name\n'], '1').values).toEqual(['a "quoted" \\ name\n']);
    expect(decodeFor('price,name', [null, ''], 'SKU-1', 'products').values).toEqual([null, '']);
  });

  it('keeps the longest cursor the products list can issue within MAX_CURSOR_LENGTH', () => {
    // Every sortable field, descending, each at its longest: the SKU (2600 bytes: control characters, sort
    // value and id), the name's sorted part in 4-byte characters, numbers at their widest.
    const widest: Record<string, string> = {
      sku: '\u0001'.repeat(2600),
      name: '😀'.repeat(PRODUCT_NAME_SORT_CHARACTERS),
      firstPurchaseAt: '2026-12-31T23:59:59.999999Z',
      lastPurchaseAt: '2026-12-31T23:59:59.999999Z',
      daysSinceLastPurchase: '-2147483648',
      distinctBuyers: '-2147483648',
    };
    const sort = Object.keys(PRODUCT_SORT_FIELDS).map((field) => `-${field}`).join(',');
    const values = Object.keys(PRODUCT_SORT_FIELDS).map((field) => widest[field] ?? `-${'9'.repeat(34)}.${'9'.repeat(4)}`);
    const keys = parseSort(sort, PRODUCT_SORT_FIELDS, sort);
    const cursor = encodeCursor(sortSignature(keys), { values, id: widest['sku'] as string });
    expect(cursor.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
    expect(decodeCursor(cursor, sortSignature(keys), keys, PRODUCT_TIEBREAKER)).toEqual({ values, id: widest['sku'] });
  });

  it('still reads the cursors of the first format (JSON), issued before', () => {
    const keys = parseSort('-name', CUSTOMER_SORT_FIELDS, 'name');
    expect(decodeCursor(forgedCursor({ s: '-name', v: ['Zé "quoted"'], id: '42' }), '-name', keys, CUSTOMER_TIEBREAKER)).toEqual({ values: ['Zé "quoted"'], id: '42' });
    expect(decodeCursor(forgedCursor({ s: '-name', v: [null], id: '42' }), '-name', keys, CUSTOMER_TIEBREAKER)).toEqual({ values: [null], id: '42' });
  });

  const inFormat = (...fields: string[]) => Buffer.from(fields.join('\u0000'), 'utf8').toString('base64url');

  it.each([
    ['a text value over 2600 bytes', 'name', encodeCursor('name', { values: ['é'.repeat(1301)], id: '1' })],
    ['an id over 2600 bytes', 'sku', encodeCursor('sku', { values: ['S'], id: 'S'.repeat(2601) })],
    ['a text value of the first format over 2600 bytes', 'name', forgedCursor({ s: 'name', v: ['a'.repeat(2601)], id: '1' })],
    ['another format', 'name', inFormat('c9', 'name', '1', ':x')],
    ['a value without its mark', 'name', inFormat('c2', 'name', '1', 'x')],
    ['an empty id', 'name', inFormat('c2', 'name', '', ':x')],
    ['no id', 'name', inFormat('c2', 'name')],
    ['a value too many', 'name', inFormat('c2', 'name', '1', ':x', ':y')],
  ])('refuses %s as invalid_cursor', (_case, sort, cursor) => {
    const [fields, tiebreaker] = sort === 'sku' ? [PRODUCT_SORT_FIELDS, PRODUCT_TIEBREAKER] : [CUSTOMER_SORT_FIELDS, CUSTOMER_TIEBREAKER];
    const keys = parseSort(sort, fields, sort);
    expect(fieldErrorsOf(() => decodeCursor(cursor, sort, keys, tiebreaker))).toEqual([expect.objectContaining({ field: 'query.cursor', code: 'invalid_cursor' })]);
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
