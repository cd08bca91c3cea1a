import { DomainError, ValidationError } from '@pulse/errors';
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
    const spec = parseCustomerListQuery({}, 'UTC');
    expect(spec).toMatchObject({ limit: 50, signature: 'name', ranges: [], custom: [] });
    expect(spec.cursor).toBeUndefined();
  });

  it('reads sorts, bands, segment, bracket ranges and custom fields as Fastify hands them over', () => {
    const spec = parseCustomerListQuery(
      {
        limit: '10',
        sort: '-revenue90d,name',
        healthBand: 'red,green,red',
        segment: 'smb',
        'daysSinceLastOrder[gte]': '90',
        'revenue90d[lt]': '100.5',
        'custom.plan': 'gold',
        'custom.employees[gt]': '50',
      },
      'UTC',
    );
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

  it('names every invalid field in one answer: the shape, custom filters, range values and the sort', () => {
    const query = { foo: '1', limit: '0', 'custom.a-b': '1', 'orders[gte]': 'many', 'revenue90d[lt]': 'x'.repeat(65), sort: '-bogus' };
    expect(fieldsOf(() => parseCustomerListQuery(query, 'UTC')).sort()).toEqual(
      ['query.foo', 'query.limit', 'query.custom.a-b', 'query.orders[gte]', 'query.revenue90d[lt]', 'query.sort'].sort(),
    );
    // A range value both too long and not a number is named once.
    expect(fieldsOf(() => parseCustomerListQuery({ 'revenue90d[lt]': 'x'.repeat(65) }, 'UTC'))).toEqual(['query.revenue90d[lt]']);
    expect(fieldsOf(() => parseCustomerListQuery({ 'orders[gte]': 'many', sort: 'nope' }, 'UTC'))).toEqual(['query.orders[gte]', 'query.sort']);
  });

  it('takes a segment and custom field names as long as ingestion stores them (2,600 and 255 characters)', () => {
    const segment = 'S'.repeat(2600);
    const name = `n${'x'.repeat(254)}`;
    const spec = parseCustomerListQuery({ segment, [`custom.${name}`]: 'v', [`custom.${name}[gte]`]: '1' }, 'UTC');
    expect(spec.segment).toBe(segment);
    expect(spec.custom).toEqual([
      { name, op: 'eq', value: 'v' },
      { name, op: 'gte', value: '1' },
    ]);
    expect(fieldsOf(() => parseCustomerListQuery({ segment: `${segment}S` }, 'UTC'))).toEqual(['query.segment']);
  });

  it.each([
    [{ foo: '1' }, 'query.foo'],
    [{ sort: 'name,bogus' }, 'query.sort'],
    [{ limit: '501' }, 'query.limit'],
    [{ segment: ['a', 'b'] }, 'query.segment'],
    [{ 'custom.a->>b': '1' }, 'query.custom.a->>b'],
    [{ 'custom.plan': ['gold', 'silver'] }, 'query.custom.plan'],
    [{ 'custom.n[gt]': '1e9' }, 'query.custom.n[gt]'],
    [{ [`custom.${'n'.repeat(256)}`]: '1' }, `query.custom.${'n'.repeat(256)}`],
    [{ 'custom._n': '1' }, 'query.custom._n'],
    [{ 'orders[gte]': '-' }, 'query.orders[gte]'],
    [{ cursor: 'abc' }, 'query.cursor'],
  ])('refuses %j naming %s', (query, field) => {
    expect(fieldsOf(() => parseCustomerListQuery(query, 'UTC'))).toContain(field);
  });

  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'])(
    'refuses the parameter %s, an Object.prototype name, like any other unknown one',
    (name) => {
      // As Fastify hands the query over: an object without a prototype, each parameter an own key.
      const query = Object.defineProperty(Object.create(null) as Record<string, unknown>, name, { value: '1', enumerable: true });
      expect(fieldsOf(() => parseCustomerListQuery(query, 'UTC'))).toEqual([`query.${name}`]);
      expect(fieldsOf(() => parseCustomerListQuery(JSON.parse(`{"${name}":"1","limit":"5"}`) as Record<string, unknown>, 'UTC'))).toEqual([`query.${name}`]);
    },
  );

  it.each([
    ['a day February does not have', '2026-02-30'],
    ['year 0000', '0000-01-01'],
    ['an offset beyond what PostgreSQL takes', '2026-01-01T00:00+16:00'],
    ['hour 25', '2026-01-01T25:00Z'],
  ])('refuses an instant range value with %s, naming the parameter', (_case, value) => {
    expect(fieldsOf(() => parseCustomerListQuery({ 'lastOrderAt[gte]': value }, 'UTC'))).toEqual(['query.lastOrderAt[gte]']);
  });

  it('takes amounts as large as the NUMERIC(38,4) KPI columns hold, and says the range of an integer KPI', () => {
    const largest = `${'9'.repeat(34)}.9999`;
    expect(parseCustomerListQuery({ 'revenueTotal[gte]': largest }, 'UTC').ranges).toEqual([{ field: 'revenueTotal', op: 'gte', value: largest }]);
    try {
      parseCustomerListQuery({ 'orders[gt]': '2147483647' }, 'UTC');
      throw new Error('expected a validation error');
    } catch (error) {
      expect((error as ValidationError).fieldErrors).toEqual([
        expect.objectContaining({ field: 'query.orders[gt]', message: expect.stringContaining('from -999999999 to 999999999') }),
      ]);
    }
  });

  it('takes real dates and instants of years 0001-9999 with offsets up to ±15:59', () => {
    for (const value of ['2024-02-29', '0001-01-01', '9999-12-31T23:59:59.999999Z', '2026-01-01T00:00+15:59', '2026-01-01T00:00-15:59']) {
      expect(parseCustomerListQuery({ 'firstOrderAt[lt]': value }, 'UTC').ranges).toEqual([{ field: 'firstOrderAt', op: 'lt', value }]);
    }
  });

  it.each([
    [{ segment: '\u0000' }, 'query.segment'],
    [{ 'custom.plan': 'gold\u0000' }, 'query.custom.plan'],
    [{ sort: 'name\u0000' }, 'query.sort'],
  ])('refuses a NUL character in %j naming %s', (query, field) => {
    expect(fieldsOf(() => parseCustomerListQuery(query, 'UTC'))).toEqual([field]);
  });

  it.each(['0x10', '  2', '', '1e2', '2.0'])('refuses limit=%j: only plain decimal integers', (limit) => {
    expect(fieldsOf(() => parseCustomerListQuery({ limit }, 'UTC'))).toEqual(['query.limit']);
  });

  it('accepts a cursor of its own sort only, with values of the right types', () => {
    const good = encodeCursor('-revenue90d', { values: ['12.5000'], id: '42' });
    expect(parseCustomerListQuery({ sort: '-revenue90d', cursor: good }, 'UTC').cursor).toEqual({ values: ['12.5000'], id: '42' });
    expect(parseCustomerListQuery({ sort: '-revenue90d', cursor: encodeCursor('-revenue90d', { values: [null], id: '42' }) }, 'UTC').cursor?.values).toEqual([null]);
    expect(fieldsOf(() => parseCustomerListQuery({ sort: 'name', cursor: good }, 'UTC'))).toEqual(['query.cursor']);
    for (const forged of [
      encodeCursor('-revenue90d', { values: ["1; DROP TABLE customers"], id: '42' }),
      encodeCursor('-revenue90d', { values: ['1'], id: '42 OR 1=1' }),
      encodeCursor('-revenue90d', { values: ['1', '2'], id: '42' }),
    ]) {
      expect(fieldsOf(() => parseCustomerListQuery({ sort: '-revenue90d', cursor: forged }, 'UTC'))).toEqual(['query.cursor']);
    }
  });

  it("keeps the tenant's timezone for dates on instant fields", () => {
    expect(parseCustomerListQuery({ 'lastOrderAt[gte]': '2026-06-18' }, 'America/New_York')).toMatchObject({
      timezone: 'America/New_York',
      ranges: [{ field: 'lastOrderAt', op: 'gte', value: '2026-06-18' }],
    });
  });

  it('refuses a date on an instant field when the tenant timezone is not an IANA name: tenant.invalid_timezone', () => {
    for (const timezone of ['Mars/Olympus_Mons', '', '+05:00', "UTC'; DROP TABLE customers; --"]) {
      let error: unknown;
      try {
        parseCustomerListQuery({ 'firstOrderAt[lt]': '2026-06-18' }, timezone);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ kind: 'unprocessable', code: 'tenant.invalid_timezone' });
    }
  });

  it('needs no valid timezone for instants with an offset, other KPIs or no filter', () => {
    for (const query of [{}, { 'lastOrderAt[gte]': '2026-06-18T00:00Z' }, { 'daysSinceLastOrder[gte]': '90' }, { sort: '-lastOrderAt' }]) {
      expect(parseCustomerListQuery(query, 'Mars/Olympus_Mons').timezone).toBe('Mars/Olympus_Mons');
    }
  });
});
