import { ValidationError } from '@pulse/errors';
import { parseCustomerListQuery } from './customer-list.query';
import { encodeCursor } from './list-cursor';

function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.fieldErrors.map((e) => e.field);
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('parseCustomerListQuery', () => {
  it('defaults to 50 rows sorted by name', () => {
    const spec = parseCustomerListQuery({});
    expect(spec).toMatchObject({ limit: 50, signature: 'name', ranges: [], custom: [] });
    expect(spec.cursor).toBeUndefined();
  });

  it('reads sorts, bands, segment, bracket ranges and custom fields as Fastify hands them over', () => {
    const spec = parseCustomerListQuery({
      limit: '10',
      sort: '-revenue90d,name',
      healthBand: 'red,green,red',
      segment: 'smb',
      'daysSinceLastOrder[gte]': '90',
      'revenue90d[lt]': '100.5',
      'custom.plan': 'gold',
      'custom.employees[gt]': '50',
    });
    expect(spec).toMatchObject({
      limit: 10,
      signature: '-revenue90d,name',
      healthBands: ['red', 'green'],
      segment: 'smb',
      ranges: expect.arrayContaining([
        { field: 'daysSinceLastOrder', op: 'gte', value: '90' },
        { field: 'revenue90d', op: 'lt', value: '100.5' },
      ]),
      custom: [
        { name: 'plan', op: 'eq', value: 'gold' },
        { name: 'employees', op: 'gt', value: '50' },
      ],
    });
    expect(spec.sort.map((key) => [key.field, key.descending])).toEqual([
      ['revenue90d', true],
      ['name', false],
    ]);
  });

  it.each([
    [{ foo: '1' }, 'query.foo'],
    [{ sort: 'name,bogus' }, 'query.sort'],
    [{ limit: '501' }, 'query.limit'],
    [{ segment: ['a', 'b'] }, 'query.segment'],
    [{ 'custom.a->>b': '1' }, 'query.custom.a->>b'],
    [{ 'custom.plan': ['gold', 'silver'] }, 'query.custom.plan'],
    [{ 'custom.n[gt]': '1e9' }, 'query.custom.n[gt]'],
    [{ 'orders[gte]': '-' }, 'query.orders[gte]'],
    [{ cursor: 'abc' }, 'query.cursor'],
  ])('refuses %j naming %s', (query, field) => {
    expect(fieldsOf(() => parseCustomerListQuery(query))).toContain(field);
  });

  it.each([
    ['a day February does not have', '2026-02-30'],
    ['year 0000', '0000-01-01'],
    ['an offset beyond what PostgreSQL takes', '2026-01-01T00:00+16:00'],
    ['hour 25', '2026-01-01T25:00Z'],
  ])('refuses an instant range value with %s, naming the parameter', (_case, value) => {
    expect(fieldsOf(() => parseCustomerListQuery({ 'lastOrderAt[gte]': value }))).toEqual(['query.lastOrderAt[gte]']);
  });

  it('takes real dates and instants of years 0001-9999 with offsets up to ±15:59', () => {
    for (const value of ['2024-02-29', '0001-01-01', '9999-12-31T23:59:59.999999Z', '2026-01-01T00:00+15:59', '2026-01-01T00:00-15:59']) {
      expect(parseCustomerListQuery({ 'firstOrderAt[lt]': value }).ranges).toEqual([{ field: 'firstOrderAt', op: 'lt', value }]);
    }
  });

  it.each([
    [{ segment: '\u0000' }, 'query.segment'],
    [{ 'custom.plan': 'gold\u0000' }, 'query.custom.plan'],
    [{ sort: 'name\u0000' }, 'query.sort'],
  ])('refuses a NUL character in %j naming %s', (query, field) => {
    expect(fieldsOf(() => parseCustomerListQuery(query))).toEqual([field]);
  });

  it.each(['0x10', '  2', '', '1e2', '2.0'])('refuses limit=%j: only plain decimal integers', (limit) => {
    expect(fieldsOf(() => parseCustomerListQuery({ limit }))).toEqual(['query.limit']);
  });

  it('accepts a cursor of its own sort only, with values of the right types', () => {
    const good = encodeCursor('-revenue90d', { values: ['12.5000'], id: '42' });
    expect(parseCustomerListQuery({ sort: '-revenue90d', cursor: good }).cursor).toEqual({ values: ['12.5000'], id: '42' });
    expect(parseCustomerListQuery({ sort: '-revenue90d', cursor: encodeCursor('-revenue90d', { values: [null], id: '42' }) }).cursor?.values).toEqual([null]);
    expect(fieldsOf(() => parseCustomerListQuery({ sort: 'name', cursor: good }))).toEqual(['query.cursor']);
    for (const forged of [
      encodeCursor('-revenue90d', { values: ["1; DROP TABLE customers"], id: '42' }),
      encodeCursor('-revenue90d', { values: ['1'], id: '42 OR 1=1' }),
      encodeCursor('-revenue90d', { values: ['1', '2'], id: '42' }),
    ]) {
      expect(fieldsOf(() => parseCustomerListQuery({ sort: '-revenue90d', cursor: forged }))).toEqual(['query.cursor']);
    }
  });
});
