import { createTestWarehouse, type TestWarehouse } from './kpi-warehouse.int-kit';
import { duckdbDialect as d } from './sql-dialect';

/*
 * The DuckDB dialect's building blocks evaluated by a real DuckDB, against values worked out by hand
 * (the BigQuery spellings are checked by the parser in bigquery-sql.spec.ts).
 */
describe('DuckDB dialect', () => {
  let testWarehouse: TestWarehouse;
  beforeAll(async () => {
    testWarehouse = await createTestWarehouse('tenant_dialect');
  });
  afterAll(async () => {
    await testWarehouse?.dispose();
  });

  const value = async (sql: string) => {
    const [row] = await testWarehouse.warehouse.query(testWarehouse.tenant, `SELECT ${sql} AS v`, { label: 'dialect' });
    return row.v;
  };

  it.each([
    // 2024-03-10 is the US DST change: New York midnight is still -05:00, 12:00 is -04:00
    [d.startOfDay(d.date('2024-03-10'), 'America/New_York'), '2024-03-10T05:00:00.000Z'],
    [d.startOfDay(d.date('2024-03-11'), 'America/New_York'), '2024-03-11T04:00:00.000Z'],
    // Azores falls back from 01:00 (+00:00) to 00:00 (-01:00) on 2024-10-27: local midnight comes at 00:00Z
    // and again at 01:00Z; the day starts at the first. Havana likewise on 2024-11-03 (04:00Z and 05:00Z).
    [d.startOfDay(d.date('2024-10-27'), 'Atlantic/Azores'), '2024-10-27T00:00:00.000Z'],
    [d.startOfDay(d.date('2024-10-28'), 'Atlantic/Azores'), '2024-10-28T01:00:00.000Z'],
    [d.startOfDay(d.date('2024-11-03'), 'America/Havana'), '2024-11-03T04:00:00.000Z'],
    // Sao Paulo sprang forward at midnight on 2018-11-04 (00:00 -03:00 became 01:00 -02:00): 03:00Z.
    [d.startOfDay(d.date('2018-11-04'), 'America/Sao_Paulo'), '2018-11-04T03:00:00.000Z'],
    [d.localDate("TIMESTAMPTZ '2024-03-01 02:30:00+00'", 'America/Sao_Paulo'), '2024-02-29'],
    [d.localDate("TIMESTAMPTZ '2024-03-01 03:00:00+00'", 'America/Sao_Paulo'), '2024-03-01'],
    // UTC takes the arithmetic path (no time zone lookup): the last microsecond of a day, and before 1970
    [d.localDate("TIMESTAMPTZ '2024-02-29 23:59:59.999999+00'", 'UTC'), '2024-02-29'],
    [d.localDate("TIMESTAMPTZ '2024-03-01 00:00:00+00'", 'Etc/UTC'), '2024-03-01'],
    [d.localDate("TIMESTAMPTZ '1969-12-31 23:30:00+00'", 'UTC'), '1969-12-31'],
    [d.addDays(d.date('2024-03-01'), -1), '2024-02-29'],
    [d.daysBetween(d.date('2023-12-01'), d.date('2024-03-31')), 121],
    [d.periodStart(d.date('2024-03-31'), 'week'), '2024-03-25'], // a Sunday belongs to the week of Monday 03-25
    [d.periodStart(d.date('2024-03-25'), 'week'), '2024-03-25'],
    [d.periodStart(d.date('2024-02-29'), 'month'), '2024-02-01'],
    [d.integerDivide('3 + 4 + 1', '2'), 4],
    // Line products: 64-bit below 10^5 per factor, 128-bit from there, exact either way
    [d.multiplyDecimal('CAST(99999.9999 AS DECIMAL(18,4))', 'CAST(99999.9999 AS DECIMAL(18,4))'), '9999999980.00000001'], // 10^10 - 20 + 10^-8
    [d.multiplyDecimal('CAST(-99999.9999 AS DECIMAL(18,4))', 'CAST(99999.9999 AS DECIMAL(18,4))'), '-9999999980.00000001'],
    [d.multiplyDecimal('CAST(100000 AS DECIMAL(18,4))', 'CAST(100000 AS DECIMAL(18,4))'), '10000000000.00000000'],
    [d.multiplyDecimal('CAST(2000 AS DECIMAL(18,4))', 'CAST(5000000 AS DECIMAL(18,4))'), '10000000000.00000000'],
    [d.multiplyDecimal('CAST(1.5 AS DECIMAL(18,4))', 'CAST(0.0001 AS DECIMAL(18,4))'), '0.00015000'],
    [d.divideRounded('1', '0', 6), null],
    [d.divideRounded('NULL', '4', 6), null],
    [d.divideRounded('1', '4', 6), '0.250000'],
    [d.divideRounded('2', '3', 6), '0.666667'],
    [d.divideRounded('41', '640', 6), '0.064063'], // 0.0640625: a half, up (a double gives 0.064062)
    [d.divideRounded('-41', '640', 6), '-0.064063'], // half away from zero
    [d.divideRounded('41', '-640', 6), '-0.064063'],
    [d.divideRounded('-41', '-640', 6), '0.064063'],
    [d.divideRounded('CAST(64062.4995 AS DECIMAL(18,4))', 'CAST(1000000 AS DECIMAL(18,4))', 6), '0.064062'], // 0.0640624995: below the half
    [d.divideRounded('CAST(1.0001 AS DECIMAL(18,4))', 'CAST(2000200 AS DECIMAL(18,4))', 6), '0.000001'], // exactly 0.0000005
    [d.divideRounded('CAST(12345678902235.5678 AS DECIMAL(38,4))', '3', 4), '4115226300745.1893'], // 4115226300745.18926...
    [d.divideRounded('CAST(0.0003 AS DECIMAL(38,4))', '2', 4), '0.0002'], // 0.00015
    [d.divideRounded('CAST(-0.0003 AS DECIMAL(38,4))', '2', 4), '-0.0002'],
    [d.divideRounded('CAST(0.0001 AS DECIMAL(38,4))', '3', 4), '0.0000'], // 0.0000333...
    [d.divideRounded('CAST(9.9999 AS DECIMAL(38,4))', '0.0002', 2), '49999.50'], // exactly 49999.5
    [d.divideRounded('CAST(100000000 AS DECIMAL(38,4))', 'CAST(0.0001 AS DECIMAL(38,4))', 6), '1000000000000.000000'], // 10^12
    // Past the 64-bit path (a dividend of 10^14 or more, or a divisor past 10^(13 - scale)): the same results
    [d.divideRounded('CAST(199999999999999.9998 AS DECIMAL(38,4))', '2', 4), '99999999999999.9999'],
    [d.divideRounded('CAST(-199999999999999.9997 AS DECIMAL(38,4))', '2', 4), '-99999999999999.9999'], // -99999999999999.99985: away from zero
    [d.divideRounded('41000000000000', '640000000000000', 6), '0.064063'],
    [d.divideRounded('CAST(300000000.0001 AS DECIMAL(38,4))', 'CAST(200000000 AS DECIMAL(38,4))', 6), '1.500000'], // 1.5000000000005
    [d.divideRounded('CAST(1 AS DECIMAL(38,4))', 'CAST(200000000 AS DECIMAL(38,4))', 6), '0.000000'], // 0.000000005
    [d.divideRounded('CAST(1 AS DECIMAL(38,4))', 'CAST(0 AS DECIMAL(38,4))', 6), null],
    // The largest DECIMAL(38,4): 34 integer digits, divided by 1 and by 7 (10^34 / 7 = 1428571428571428571428571428571428.5714...)
    [d.divideRounded('CAST(9999999999999999999999999999999999.9999 AS DECIMAL(38,4))', '1', 4), '9999999999999999999999999999999999.9999'],
    [d.divideRounded('CAST(9999999999999999999999999999999999.9999 AS DECIMAL(38,4))', '7', 4), '1428571428571428571428571428571428.5714'],
    [d.jsonText(`'{"plan": {"tier": "gold"}}'::JSON`, '$.plan.tier'), 'gold'],
    [d.jsonText(`'{"plan": 1}'::JSON`, '$.missing'), null],
    [d.toDecimal('2.0 / 3', 4), '0.6667'],
    [d.isoTimestamp("TIMESTAMPTZ '2024-03-01 02:30:00.5+00'"), '2024-03-01T02:30:00.500000Z'],
    [d.isoTimestamp("TIMESTAMPTZ '2024-03-01 02:30:00.5-03'"), '2024-03-01T05:30:00.500000Z'],
    [d.isoTimestamp("TIMESTAMPTZ '1969-12-31 23:59:59.25+00'"), '1969-12-31T23:59:59.250000Z'],
    [d.text("Can't"), "Can't"],
  ])('%s = %j', async (sql, expected) => {
    expect(await value(sql)).toEqual(expected);
  });

  it('median interpolates between the two middle values', async () => {
    const relation = '(SELECT * FROM (VALUES (1, 219), (1, 71), (2, 31), (2, 71), (2, 219)) AS t(g, v)) AS intervals';
    const rows = await testWarehouse.warehouse.query(testWarehouse.tenant, `${d.medianByGroup(relation, 'g', 'v', 'm')} ORDER BY g`, {
      label: 'dialect',
    });
    expect(rows).toEqual([{ g: 1, m: 145 }, { g: 2, m: 71 }]);
  });

  it('generates every period start between two period starts', async () => {
    const rows = await testWarehouse.warehouse.query(
      testWarehouse.tenant,
      `${d.periodStarts(d.date('2024-01-29'), d.date('2024-02-19'), 'week', '(SELECT 1) AS one')} ORDER BY period_start`,
      { label: 'dialect' },
    );
    expect(rows.map((row) => row.period_start)).toEqual(['2024-01-29', '2024-02-05', '2024-02-12', '2024-02-19']);
  });
});
