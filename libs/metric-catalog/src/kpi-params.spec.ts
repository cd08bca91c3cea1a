import { defaultKpiParams, InvalidKpiParamsError, parseKpiParamsOrThrow } from './kpi-params';

const valid = { asOf: '2024-03-31', timezone: 'America/Sao_Paulo', churnWindowDays: 90, excludedOrderStatuses: ['Canceled', 'canceled', 'REFUNDED'] };

describe('KPI params', () => {
  it('lower-cases and de-duplicates excluded statuses', () => {
    expect(parseKpiParamsOrThrow(valid).excludedOrderStatuses).toEqual(['canceled', 'refunded']);
  });

  it('gives the timezone its canonical name, which every time zone database knows (PostgreSQL 15 refuses US/Pacific-New)', () => {
    expect(parseKpiParamsOrThrow({ ...valid, timezone: 'US/Pacific-New' }).timezone).toBe('America/Los_Angeles');
    expect(parseKpiParamsOrThrow({ ...valid, timezone: 'america/sao_paulo' }).timezone).toBe('America/Sao_Paulo');
    expect(parseKpiParamsOrThrow(valid).timezone).toBe('America/Sao_Paulo');
  });

  it.each([
    [{ asOf: '2024-3-31' }, /asOf: asOf must be a YYYY-MM-DD date/],
    [{ asOf: '2023-02-29' }, /asOf: asOf is not a calendar date/],
    [{ timezone: 'Europe/Atlantis' }, /timezone: timezone is not an IANA timezone name/],
    [{ churnWindowDays: 0 }, /churnWindowDays/],
    [{ churnWindowDays: 1.5 }, /churnWindowDays/],
    [{ excludedOrderStatuses: [''] }, /excludedOrderStatuses\.0/],
  ])('rejects %j', (change, message) => {
    expect(() => parseKpiParamsOrThrow({ ...valid, ...change })).toThrow(InvalidKpiParamsError);
    expect(() => parseKpiParamsOrThrow({ ...valid, ...change })).toThrow(message);
  });

  it('defaults: as of today in the tenant timezone, 90 days, the usual excluded statuses', () => {
    // 2024-04-01T02:00Z is still March 31 in Sao Paulo (UTC-3)
    expect(defaultKpiParams({ timezone: 'America/Sao_Paulo' }, new Date('2024-04-01T02:00:00Z'))).toEqual({
      asOf: '2024-03-31',
      timezone: 'America/Sao_Paulo',
      churnWindowDays: 90,
      excludedOrderStatuses: ['canceled', 'cancelled', 'refunded'],
    });
  });
});
