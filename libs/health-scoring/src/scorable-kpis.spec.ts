import { measureSource, toScorableNumber } from './scorable-kpis';

describe('measureSource', () => {
  it('maps API KPI names to customer KPI columns, custom.<field> to custom fields', () => {
    expect(measureSource('daysSinceLastOrder')).toEqual({ kind: 'kpi', column: 'days_since_last_order' });
    expect(measureSource('averageOrderValue')).toEqual({ kind: 'kpi', column: 'aov' });
    expect(measureSource('custom.tier_level')).toEqual({ kind: 'custom', field: 'tier_level' });
    expect(measureSource('revenue_90d')).toEqual({ kind: 'unknown' });
  });

  it.each([['toString'], ['constructor'], ['valueOf'], ['hasOwnProperty'], ['__proto__'], ['isPrototypeOf']])(
    'does not take %p, a property every object inherits, for a KPI',
    (metric) => expect(measureSource(metric)).toEqual({ kind: 'unknown' }),
  );
});

describe('toScorableNumber', () => {
  it.each([
    ['12', 12],
    ['-3.5', -3.5],
    ['1234.5600', 1234.56],
    ['.5', 0.5],
    ['1e3', 1000],
    [' 7 ', 7],
    ['true', 1],
    ['false', 0],
    [true, 1],
    [false, 0],
    [42, 42],
  ])('%p is %p', (input, expected) => expect(toScorableNumber(input)).toBe(expected));

  it.each([[''], ['  '], ['0x10'], ['1,5'], ['n/a'], [null], [undefined], [Number.NaN], [Number.POSITIVE_INFINITY], [{ n: 1 }], [[1]]])(
    '%p is missing',
    (input) => expect(toScorableNumber(input)).toBeNull(),
  );
});
