import { CANONICAL_ENTITIES } from '@pulse/contracts';
import { assertBigQuerySql } from './bigquery-sql-check';
import { bigQueryAppliedCountSql, bigQueryApplyLoadSql, bigQueryMergeSql } from './bigquery-sql';

const tables = { target: '`p.pulse_acme.orders`', staging: '`p.pulse_acme._pulse_staging_orders_1`' };

/**
 * node-sql-parser 5.4.0 has no MERGE in its BigQuery grammar (BigQuery itself documents MERGE with
 * WHEN NOT MATCHED BY SOURCE). So each clause is parsed as the standalone statement with the same
 * expressions: the ON condition in a join, the SET list in an UPDATE, the INSERT list in INSERT ... SELECT.
 */
function mergeClausesAsStatements(merge: string): string[] {
  const lines = merge.split('\n');
  const target = /^MERGE (\S+) AS target$/.exec(lines[0])?.[1];
  const staging = /^USING (\S+) AS source$/.exec(lines[1])?.[1];
  const on = /^ON (.+)$/.exec(lines[2])?.[1];
  const set = /^WHEN MATCHED THEN UPDATE SET (.+)$/.exec(lines[3])?.[1];
  const insert = /^WHEN NOT MATCHED THEN INSERT \((.+)\) VALUES \((.+)\)$/.exec(lines[4]);
  if (!target || !staging || !on || !set || !insert) throw new Error(`Unexpected MERGE shape:\n${merge}`);
  return [
    `SELECT target.* FROM ${target} AS target JOIN ${staging} AS source ON ${on}`,
    `UPDATE ${target} AS target SET ${set} FROM ${staging} AS source WHERE ${on}`,
    `INSERT INTO ${target} (${insert[1]}) SELECT ${insert[2]} FROM ${staging} AS source`,
  ];
}

describe('bigQueryMergeSql', () => {
  it('upserts on the key, updating every other column and loaded_at', () => {
    expect(bigQueryMergeSql('orders', 'upsert', tables)).toBe(
      [
        'MERGE `p.pulse_acme.orders` AS target',
        'USING `p.pulse_acme._pulse_staging_orders_1` AS source',
        'ON target.external_id = source.external_id',
        'WHEN MATCHED THEN UPDATE SET customer_external_id = source.customer_external_id, ordered_at = source.ordered_at, status = source.status, currency = source.currency, total = source.total, custom = source.custom, loaded_at = CURRENT_TIMESTAMP()',
        'WHEN NOT MATCHED THEN INSERT (external_id, customer_external_id, ordered_at, status, currency, total, custom, loaded_at) VALUES (source.external_id, source.customer_external_id, source.ordered_at, source.status, source.currency, source.total, source.custom, CURRENT_TIMESTAMP())',
      ].join('\n'),
    );
  });

  it('replace adds the delete of rows absent from the file', () => {
    const sql = bigQueryMergeSql('products', 'replace', tables);
    expect(sql.split('\n').at(-1)).toBe('WHEN NOT MATCHED BY SOURCE THEN DELETE');
    expect(bigQueryMergeSql('products', 'upsert', tables)).not.toContain('BY SOURCE');
  });

  it.each(CANONICAL_ENTITIES)('every clause of the %s MERGE parses with the BigQuery grammar', (entity) => {
    for (const statement of mergeClausesAsStatements(bigQueryMergeSql(entity, 'replace', tables))) {
      expect(() => assertBigQuerySql(statement)).not.toThrow();
    }
  });
});

describe('bigQueryApplyLoadSql', () => {
  const appliedLoads = '`p.pulse_acme._pulse_applied_loads`';

  it('commits the MERGE and the load\'s record in one transaction', () => {
    const lines = bigQueryApplyLoadSql('orders', 'replace', { ...tables, appliedLoads }).split('\n');
    expect(lines[0]).toBe('BEGIN TRANSACTION;');
    expect(lines.slice(1, -2).join('\n')).toBe(`${bigQueryMergeSql('orders', 'replace', tables)};`);
    expect(lines.slice(-2)).toEqual([
      'INSERT INTO `p.pulse_acme._pulse_applied_loads` (import_id, entity, mode, applied_at) VALUES (@import_id, @entity, @mode, CURRENT_TIMESTAMP());',
      'COMMIT TRANSACTION;',
    ]);
  });

  it('its record and the check of it parse with the BigQuery grammar', () => {
    const insert = bigQueryApplyLoadSql('orders', 'upsert', { ...tables, appliedLoads }).split('\n').at(-2)!;
    expect(() => assertBigQuerySql(insert.replace(/;$/, ''))).not.toThrow();
    expect(() => assertBigQuerySql(bigQueryAppliedCountSql(appliedLoads))).not.toThrow();
  });
});

describe('assertBigQuerySql', () => {
  it('accepts BigQuery SQL and rejects what is not, quoting the parser and the statement', () => {
    expect(() =>
      assertBigQuerySql(
        "SELECT customer_external_id, DATE(ordered_at) AS day, SUM(total) AS revenue FROM `p.d.orders` WHERE ordered_at >= TIMESTAMP '2024-01-01' GROUP BY 1, 2 QUALIFY ROW_NUMBER() OVER (PARTITION BY customer_external_id ORDER BY day DESC) = 1",
      ),
    ).not.toThrow();
    expect(() => assertBigQuerySql('SELECT FROM WHERE')).toThrow(/^Not valid BigQuery SQL for node-sql-parser: .+\n--- SQL ---\nSELECT FROM WHERE$/s);
  });
});
