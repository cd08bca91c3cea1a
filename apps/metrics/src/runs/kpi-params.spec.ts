import { kpiParamsFor } from './kpi-params';

const tenant = (settings: Record<string, unknown>) => ({ tenantId: 't1', slug: 'acme', settings });
// 2026-11-26T01:30Z is still the 25th in São Paulo (UTC-3).
const now = new Date('2026-11-26T01:30:00Z');

describe('kpiParamsFor', () => {
  it("uses DESIGN.md's defaults for a tenant without settings, as of today in UTC", () => {
    expect(kpiParamsFor(tenant({}), null, now)).toEqual({
      asOf: '2026-11-26',
      timezone: 'UTC',
      churnWindowDays: 90,
      excludedOrderStatuses: ['canceled', 'cancelled', 'refunded'],
    });
  });

  it("takes the tenant's settings and cuts today in its timezone", () => {
    const params = kpiParamsFor(tenant({ timezone: 'America/Sao_Paulo', churnWindowDays: 60, excludedOrderStatuses: ['Void'] }), null, now);
    expect(params).toEqual({ asOf: '2026-11-25', timezone: 'America/Sao_Paulo', churnWindowDays: 60, excludedOrderStatuses: ['void'] });
  });

  it('keeps a requested as-of date', () => {
    expect(kpiParamsFor(tenant({ timezone: 'Asia/Tokyo' }), '2025-01-31', now).asOf).toBe('2025-01-31');
  });

  it('fails naming a bad setting instead of falling back to a default', () => {
    expect(() => kpiParamsFor(tenant({ timezone: 'Mars/Olympus' }), null, now)).toThrow(/timezone/);
    expect(() => kpiParamsFor(tenant({ churnWindowDays: 'ninety' }), null, now)).toThrow(/churnWindowDays/);
  });
});
