import { hash } from 'node:crypto';
import type { QueryConfig } from 'pg';
import type { TenantDatabaseClient } from '@pulse/tenancy';
import { parsedStatementsOf } from './prepared-query';

/** One statement of a list page (a keyset segment). */
export interface ListStatement {
  text: string;
  values: unknown[];
  /**
   * The statement's best plan does not depend on its parameter values (filters on the band only, sort
   * and cursor), so PostgreSQL may keep one generic plan for it and skip planning on later executions.
   * False where values change the plan: a range on a KPI or a custom field may match a handful of
   * customers or all of them, and a segment may be tiny or most of the tenant.
   */
  reusablePlan: boolean;
}

/**
 * `LIMIT n` with n written into the text rather than passed as a parameter: with `LIMIT $n` PostgreSQL
 * cannot cost a generic plan for a page (it assumes a tenth of the rows) and plans every execution
 * again. n is always an integer the page code computed, never text from the request.
 */
export function limitClause(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`invalid page limit ${limit}`);
  return `LIMIT ${limit}`;
}

/**
 * How many list statements one connection keeps prepared. A client can ask for many shapes (sort keys,
 * directions, bands, page sizes); each prepared statement holds its plan in the server's memory for the
 * life of the connection, so the least recently used one is deallocated beyond this.
 */
export const MAX_PREPARED_LIST_STATEMENTS = 16;

/** Per connection, the statements prepared on it (text -> name), least recently used first. */
const preparedByConnection = new WeakMap<TenantDatabaseClient, Map<string, string>>();

/** The same text always gets the same name, on every connection. */
export function listStatementName(text: string): string {
  return `list_${hash('sha256', text, 'base64url').slice(0, 24)}`;
}

/**
 * The query to run for a list statement: named, so that the connection parses it once and PostgreSQL
 * can switch to a generic plan after a few executions (a list page then costs the database about half
 * as much CPU: docs/benchmarks.md), when its plan is reusable; unnamed otherwise, planned for its
 * values each time. Keeps at most MAX_PREPARED_LIST_STATEMENTS per connection.
 */
export async function listQuery(db: TenantDatabaseClient, statement: ListStatement): Promise<QueryConfig> {
  const parsed = parsedStatementsOf(db);
  if (!statement.reusablePlan || !parsed) return { text: statement.text, values: statement.values };

  let prepared = preparedByConnection.get(db);
  if (!prepared) {
    prepared = new Map();
    preparedByConnection.set(db, prepared);
  }
  const known = prepared.get(statement.text);
  if (known !== undefined) {
    // Most recently used now: a page hashes its text only the first time a connection sees it.
    prepared.delete(statement.text);
    prepared.set(statement.text, known);
    return { name: known, text: statement.text, values: statement.values };
  }
  for (const [oldestText, oldest] of prepared) {
    if (prepared.size < MAX_PREPARED_LIST_STATEMENTS) break;
    prepared.delete(oldestText);
    // Only what pg did parse exists on the server (a statement that failed to parse was never prepared).
    if (parsed[oldest] !== undefined) {
      await db.query(`DEALLOCATE "${oldest}"`);
      delete parsed[oldest];
    }
  }
  const name = listStatementName(statement.text);
  prepared.set(statement.text, name);
  return { name, text: statement.text, values: statement.values };
}
