import { DEFAULT_SCORECARD } from '@pulse/contracts';
import { compileScorecard } from '@pulse/health-scoring';
import { CUSTOMER_STAGE_COLUMNS, customerHealthRows } from './customer-health-rows';

const HEADER = [
  'customer_external_id',
  'orders_count',
  'first_order_at',
  'last_order_at',
  'days_since_last_order',
  'revenue_total',
  'revenue_30d',
  'revenue_90d',
  'revenue_365d',
  'aov',
  'rfm_recency',
  'rfm_frequency',
  'rfm_monetary',
  'rfm_segment',
  'mrr',
  'last_nps',
  'open_tickets',
  'active_30d',
];

/** A KPI row with the given cells, the rest empty (NULL). */
function row(cells: Record<string, string>): string[] {
  return HEADER.map((column) => cells[column] ?? '');
}

async function* records(...rows: string[][]) {
  yield* rows;
}

async function collect(source: AsyncIterable<string[]>) {
  const counts = { rows: 0, scored: 0 };
  let text = '';
  for await (const chunk of customerHealthRows(source, 'customer_kpis.csv', compileScorecard(DEFAULT_SCORECARD), () => undefined, counts)) text += chunk;
  return { lines: text.split('\n').filter(Boolean), counts };
}

describe('customerHealthRows', () => {
  it('writes the KPI cells in staging order, then score, band and contributions, quoting what needs it', async () => {
    // The header may come in any column order: cells are placed by name.
    const reversed = [...HEADER].reverse();
    const input = row({ customer_external_id: 'acme, "inc"', days_since_last_order: '10', revenue_90d: '1100', orders_count: '3', rfm_segment: 'At Risk' });
    const { lines, counts } = await collect(records(reversed, [...input].reverse()));
    expect(counts).toEqual({ rows: 1, scored: 1 });
    expect(CUSTOMER_STAGE_COLUMNS.slice(-3)).toEqual(['health_score', 'health_band', 'contributions']);
    const contributions =
      '"[{""measure"":""daysSinceLastOrder"",""value"":10,""weight"":0.5,""score"":100,""points"":50},' +
      '{""measure"":""revenue90d"",""value"":1100,""weight"":0.3,""score"":100,""points"":30},' +
      '{""measure"":""orders"",""value"":3,""weight"":0.2,""score"":60,""points"":12}]"';
    expect(lines).toEqual([`"acme, ""inc""",3,,,10,,,1100,,,,,,At Risk,,,,,92,green,${contributions}`]);
  });

  it('skips the header repeated at the top of each part of a sharded export', async () => {
    const { counts } = await collect(records(HEADER, row({ customer_external_id: 'a' }), HEADER, row({ customer_external_id: 'b' })));
    expect(counts.rows).toBe(2);
  });

  it('refuses a file whose header is not the customer KPI columns, and an empty file', async () => {
    await expect(collect(records(['customer_external_id', 'score']))).rejects.toThrow(/customer_kpis.csv has the wrong columns: missing orders_count/);
    await expect(collect(records())).rejects.toThrow('KPI file customer_kpis.csv is empty (no header line)');
  });

  it('refuses extra columns named like properties every JavaScript object has', async () => {
    await expect(collect(records([...HEADER, 'constructor', 'toString']))).rejects.toThrow(/customer_kpis.csv has the wrong columns: unexpected constructor, toString/);
  });
});
