import { writeFile } from 'node:fs/promises';
import { Pool, type PoolClient } from 'pg';

// What the write-back's integration tests share: the KPI files' headers, written out as docs/metrics.md
// gives them (not derived from kpi-output-columns.ts, so a column renamed there fails the tests), and
// connections of their own.

export const CUSTOMER_HEADER =
  'customer_external_id,orders_count,first_order_at,last_order_at,days_since_last_order,revenue_total,revenue_30d,revenue_90d,revenue_365d,aov,rfm_recency,rfm_frequency,rfm_monetary,rfm_segment,mrr,last_nps,open_tickets,active_30d';
export const PRODUCT_HEADER = 'sku,first_purchase_at,last_purchase_at,days_since_last_purchase,units,revenue,distinct_buyers,repeat_buyer_rate,median_reorder_interval_days';
export const SERIES_HEADER = 'metric,grain,period_start,value';

/** Writes a KPI file (header, then one line per row) as the write-back's input gives it. */
export async function writeKpiFile(location: string, header: string, lines: readonly string[]): Promise<{ location: string; rows: number }> {
  await writeFile(location, [header, ...lines].join('\n') + '\n');
  return { location, rows: lines.length };
}

/** Connections of their own, each a pool of one (the write-back takes a pool's client), closed together. */
export class SingleConnections {
  private readonly pools: Pool[] = [];
  private readonly clients: PoolClient[] = [];

  async connect(url: string): Promise<PoolClient> {
    const pool = new Pool({ connectionString: url, max: 1 });
    this.pools.push(pool);
    const client = await pool.connect();
    this.clients.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    for (const client of this.clients) client.release(true);
    await Promise.all(this.pools.map((pool) => pool.end().catch(() => undefined)));
  }
}
