import { CANONICAL_ENTITIES } from '@pulse/contracts';
import { assertBigQuerySql } from './bigquery/bigquery-sql-check';
import { warehouseColumns, warehouseTableDdl } from './warehouse-tables';

describe('warehouse tables', () => {
  it('stages the canonical fields in spec order, without aliases, then custom', () => {
    expect(warehouseColumns('customers')).toEqual(['external_id', 'name', 'email', 'segment', 'plan', 'owner', 'customer_since', 'custom']);
    expect(warehouseColumns('order_items')).toEqual(['order_external_id', 'line_number', 'sku', 'quantity', 'unit_price', 'custom']);
    expect(warehouseColumns('nps_responses')).toEqual(['external_id', 'customer_external_id', 'score', 'responded_at', 'comment', 'custom']);
  });

  it('writes DuckDB DDL with the agreed types, NOT NULL for required fields and loaded_at', () => {
    expect(warehouseTableDdl('duckdb', 'orders')).toBe(
      [
        'CREATE TABLE IF NOT EXISTS orders (',
        '  external_id VARCHAR NOT NULL,',
        '  customer_external_id VARCHAR NOT NULL,',
        '  ordered_at TIMESTAMPTZ NOT NULL,',
        '  status VARCHAR,',
        '  currency VARCHAR,',
        '  total DECIMAL(18,4),',
        '  custom JSON,',
        '  loaded_at TIMESTAMPTZ NOT NULL',
        ')',
      ].join('\n'),
    );
    expect(warehouseTableDdl('duckdb', 'usage_events')).toContain('  properties JSON,\n');
    expect(warehouseTableDdl('duckdb', 'nps_responses')).toContain('  score BIGINT NOT NULL,\n');
    expect(warehouseTableDdl('duckdb', 'customers')).toContain('  customer_since DATE,\n');
  });

  it('writes BigQuery DDL partitioned by day of the main instant and clustered by customer', () => {
    expect(warehouseTableDdl('bigquery', 'orders', { dataset: 'pulse_acme' })).toBe(
      [
        'CREATE TABLE IF NOT EXISTS pulse_acme.orders (',
        '  external_id STRING NOT NULL,',
        '  customer_external_id STRING NOT NULL,',
        '  ordered_at TIMESTAMP NOT NULL,',
        '  status STRING,',
        '  currency STRING,',
        '  total NUMERIC,',
        '  custom JSON,',
        '  loaded_at TIMESTAMP NOT NULL',
        ')',
        'PARTITION BY DATE(ordered_at)',
        'CLUSTER BY customer_external_id',
      ].join('\n'),
    );
    expect(warehouseTableDdl('bigquery', 'products')).toMatch(/\)\nCLUSTER BY sku$/);
  });

  it.each(CANONICAL_ENTITIES)('BigQuery DDL of %s parses with the BigQuery grammar', (entity) => {
    const ddl = warehouseTableDdl('bigquery', entity, { dataset: 'pulse_acme' });
    // node-sql-parser 5.4.0 does not know BigQuery's JSON column type; every other part is parsed as written.
    const jsonColumns = ddl.match(/ JSON(,|\n)/g) ?? [];
    expect(jsonColumns.length).toBeGreaterThanOrEqual(1);
    expect(() => assertBigQuerySql(ddl.replace(/ JSON(,|\n)/g, ' STRING$1'))).not.toThrow();
  });
});
