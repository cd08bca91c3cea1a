import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { TenantDatabaseClient } from '@pulse/tenancy';

/** pg's record of the statements it has parsed on a connection: it sends Parse only for names missing from it. */
export function parsedStatementsOf(db: TenantDatabaseClient): Record<string, string> | undefined {
  const parsed = (db as unknown as { connection?: { parsedStatements?: unknown } }).connection?.parsedStatements;
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, string>) : undefined;
}

/** PostgreSQL's "cached plan must not change result type". */
const PLAN_RESULT_TYPE_CHANGED = '0A000';

/**
 * Runs a query, named (prepared on the connection) or not, outside a transaction. A tenant migration that
 * changes the type of a column a prepared statement returns (a wider DECIMAL, say) makes PostgreSQL refuse
 * that statement on every execution for the life of the connection, and pg, which remembers it as parsed,
 * would never prepare it again: it is deallocated and prepared afresh, once. The statement failed before
 * it ran, so running it again is safe.
 */
export async function queryPrepared<Row extends QueryResultRow>(db: TenantDatabaseClient, query: QueryConfig): Promise<QueryResult<Row>> {
  try {
    return await db.query<Row>(query);
  } catch (error) {
    if (query.name === undefined || (error as { code?: unknown }).code !== PLAN_RESULT_TYPE_CHANGED) throw error;
    await db.query(`DEALLOCATE "${query.name}"`);
    const parsed = parsedStatementsOf(db);
    if (parsed) delete parsed[query.name];
    return db.query<Row>(query);
  }
}
