import { Parser } from 'node-sql-parser/build/bigquery';

const parser = new Parser();

/**
 * Parses SQL with node-sql-parser's BigQuery grammar and throws, with the parser's message and the
 * statement, if it does not parse. For tests of generated BigQuery SQL (ours and the metric catalog's).
 *
 * Known gaps of node-sql-parser 5.4.0's BigQuery grammar (valid BigQuery it rejects): MERGE, the JSON
 * column type in CREATE TABLE, `DELETE FROM t` (it accepts `DELETE t`), BEGIN/COMMIT TRANSACTION.
 * Test those statements by parts (see bigquery-sql.spec.ts).
 */
export function assertBigQuerySql(sql: string): void {
  try {
    parser.astify(sql, { database: 'BigQuery' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Not valid BigQuery SQL for node-sql-parser: ${reason}\n--- SQL ---\n${sql}`);
  }
}
