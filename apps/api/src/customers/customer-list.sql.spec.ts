import { parseCustomerListQuery } from './customer-list.query';
import { buildCustomerListSql } from './customer-list.sql';
import { encodeCursor } from './list-cursor';

const squash = (sql: string) => sql.replace(/\s+/g, ' ').trim();

describe('buildCustomerListSql', () => {
  it('orders the present segment by the bare key so its (kpi, customer_id) index serves it', () => {
    const sql = buildCustomerListSql(parseCustomerListQuery({ sort: '-revenue90d' }, 'UTC'), 'present', 51);
    expect(squash(sql.text)).toContain('WHERE k.revenue_90d IS NOT NULL ORDER BY k.revenue_90d DESC, k.customer_id DESC LIMIT 51');
    expect(sql.values).toEqual([]);
  });

  it('reads the NULL segment next, ordered by the tiebreaker', () => {
    const sql = buildCustomerListSql(parseCustomerListQuery({ sort: '-revenue90d' }, 'UTC'), 'missing', 10);
    expect(squash(sql.text)).toContain('WHERE k.revenue_90d IS NULL ORDER BY c.id DESC');
  });

  it('continues after a cursor with a row comparison (an index condition)', () => {
    const cursor = encodeCursor('-revenue90d', { values: ['10.0000'], id: '7' });
    const sql = buildCustomerListSql(parseCustomerListQuery({ sort: '-revenue90d', cursor }, 'UTC'), 'present', 51);
    expect(squash(sql.text)).toContain('(k.revenue_90d, k.customer_id) < ($1::numeric, $2::bigint)');
    expect(sql.values).toEqual(['10.0000', '7']);
  });

  it('expands mixed directions and nullable keys into NULLS LAST-aware conditions', () => {
    const cursor = encodeCursor('-revenue90d,name', { values: ['10.0000', null], id: '7' });
    const sql = buildCustomerListSql(parseCustomerListQuery({ sort: '-revenue90d,name', cursor }, 'UTC'), 'present', 51);
    expect(squash(sql.text)).toContain(
      '(k.revenue_90d < $1::numeric OR (k.revenue_90d = $1::numeric AND (c.name IS NULL AND k.customer_id > $2::bigint)))',
    );
    expect(squash(sql.text)).toContain('ORDER BY k.revenue_90d DESC, c.name ASC NULLS LAST, k.customer_id ASC');
  });

  it('passes filter values and custom field names only as parameters', () => {
    const hostile = `x'); DROP TABLE customers; --`;
    const sql = buildCustomerListSql(
      parseCustomerListQuery({ healthBand: 'red', segment: hostile, 'custom.tier': hostile, 'custom.headcount[gte]': '50', 'custom.size': '12' }, 'UTC'),
      'present',
      51,
    );
    expect(sql.text).not.toContain('DROP');
    expect(sql.text).not.toContain('tier');
    expect(sql.text).not.toContain('headcount');
    expect(squash(sql.text)).toContain('k.health_band = $1::health_band AND c.segment = $2::text AND c.custom @> $3::jsonb');
    expect(squash(sql.text)).toContain('c.custom @> ANY($6::jsonb[])');
    expect(sql.values.slice(0, 6)).toEqual(['red', hostile, JSON.stringify({ tier: hostile }), 'headcount', '50', ['{"size":"12"}', '{"size":12}']]);
  });

  it("places a date on an instant field at the start of that day in the tenant's timezone, day and zone as parameters", () => {
    const sql = buildCustomerListSql(
      parseCustomerListQuery({ 'lastOrderAt[gte]': '2026-06-18', 'lastOrderAt[lt]': '2026-06-19T00:00-04:00', 'firstOrderAt[lt]': '2026-01-01' }, 'America/New_York'),
      'present',
      51,
    );
    expect(squash(sql.text)).toContain(
      "k.first_order_at < least($1::date::timestamp AT TIME ZONE $2::text, ($1::date::timestamp - interval '1 hour') AT TIME ZONE $2::text + interval '1 hour') AND " +
        "k.last_order_at >= least($3::date::timestamp AT TIME ZONE $4::text, ($3::date::timestamp - interval '1 hour') AT TIME ZONE $4::text + interval '1 hour') AND k.last_order_at < $5::timestamptz",
    );
    expect(sql.text).not.toContain('New_York');
    expect(sql.values.slice(0, 5)).toEqual(['2026-01-01', 'America/New_York', '2026-06-18', 'America/New_York', '2026-06-19T00:00-04:00']);
  });

  it('matches true/false as the JSON string and the JSON boolean, both as containment parameters', () => {
    const sql = buildCustomerListSql(parseCustomerListQuery({ 'custom.vip': 'true', 'custom.churned': 'false' }, 'UTC'), 'present', 51);
    expect(squash(sql.text)).toContain('c.custom @> ANY($1::jsonb[]) AND c.custom @> ANY($2::jsonb[])');
    expect(sql.values.slice(0, 2)).toEqual([
      ['{"vip":"true"}', '{"vip":true}'],
      ['{"churned":"false"}', '{"churned":false}'],
    ]);
  });

  it('matches a number as the string sent, every equal JSON number and its shortest string, every digit kept', () => {
    const sql = buildCustomerListSql(parseCustomerListQuery({ 'custom.arr': '12345678901234567890.10', 'custom.staff': '5e1' }, 'UTC'), 'present', 51);
    expect(squash(sql.text)).toContain('c.custom @> ANY($1::jsonb[]) AND c.custom @> ANY($2::jsonb[])');
    expect(sql.values.slice(0, 2)).toEqual([
      ['{"arr":"12345678901234567890.10"}', '{"arr":12345678901234567890.1}', '{"arr":"12345678901234567890.1"}'],
      ['{"staff":"5e1"}', '{"staff":50}', '{"staff":"50"}'],
    ]);
  });

  it('guards numeric custom comparisons with the JSON type, inside CASE', () => {
    const sql = buildCustomerListSql(parseCustomerListQuery({ 'custom.employees[lt]': '50' }, 'UTC'), 'present', 51);
    expect(squash(sql.text)).toMatch(/CASE WHEN jsonb_typeof\(c\.custom -> \$1::text\) = 'number' THEN \(c\.custom ->> \$1::text\)::numeric < \$2::numeric/);
  });

  it('lets PostgreSQL keep one plan only where values cannot change it: band, sort and cursor', () => {
    const reusable = (query: Record<string, string>) => buildCustomerListSql(parseCustomerListQuery(query, 'UTC'), 'present', 51).reusablePlan;
    expect(reusable({ sort: 'name' })).toBe(true);
    expect(reusable({ healthBand: 'red,yellow', sort: '-revenue90d' })).toBe(true);
    expect(reusable({ healthBand: 'red', sort: '-revenue90d', cursor: encodeCursor('-revenue90d', { values: ['10.0000'], id: '7' }) })).toBe(true);
    expect(reusable({ segment: 'smb' })).toBe(false);
    expect(reusable({ 'daysSinceLastOrder[gte]': '90' })).toBe(false);
    expect(reusable({ 'custom.plan': 'gold' })).toBe(false);
  });

  it('writes the page size into the text only as an integer', () => {
    expect(() => buildCustomerListSql(parseCustomerListQuery({}, 'UTC'), 'present', 1.5)).toThrow('invalid page limit');
    expect(() => buildCustomerListSql(parseCustomerListQuery({}, 'UTC'), 'present', 0)).toThrow('invalid page limit');
  });
});
