import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { TenantDatabaseClient } from '@pulse/tenancy';

/** pg's record of the statements it has parsed on a connection: it sends Parse only for names missing from it. */
export function parsedStatementsOf(db: TenantDatabaseClient): Record<string, string> | undefined {
  const parsed = (db as unknown as { connection?: { parsedStatements?: unknown } }).connection?.parsedStatements;
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, string>) : undefined;
}

/** PostgreSQL's "cached plan must not change result type" (its SQLSTATE, 0A000, is a whole class). */
function isPlanResultTypeChanged(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}

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
    const parsed = parsedStatementsOf(db);
    // Only a statement pg did prepare on this connection exists on the server to be deallocated.
    if (query.name === undefined || !isPlanResultTypeChanged(error) || parsed?.[query.name] === undefined) throw error;
    await db.query(`DEALLOCATE "${query.name}"`);
    delete parsed[query.name];
    return db.query<Row>(query);
  }
}
