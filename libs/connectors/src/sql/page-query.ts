import type { JsonValue } from '../connector';
import { ConnectorError } from '../connector-errors';
import { assertOneSubquery } from './source-query-shape';
import type { SqlDialect, TypedColumn } from './sql-dialect';

export interface TableRef {
  schema?: string;
  name: string;
}

/** Either a table or the tenant's own SELECT (wrapped as a subquery, never edited). */
export type SqlSource = { table: TableRef } | { query: string };

export interface PageQueryInput {
  source: SqlSource;
  /** Keyset order: the cursor column(s) first, then the primary key column(s). */
  order: TypedColumn[];
  /** How many leading `order` columns are cursor columns (rows with a NULL there are not incremental). */
  cursorColumns: number;
  /** Resume strictly after this tuple (one value per `order` column). */
  after: JsonValue[] | null;
  /** Lookback lower bound: first cursor column >= this value. */
  from: JsonValue | null;
  limit: number;
}

export interface PageQuery {
  sql: string;
  params: JsonValue[];
  /** Per order column: the alias carrying its exact text, or null when the column itself is exact. */
  exactAliases: (string | null)[];
}

export const MAX_PAGE_SIZE = 50_000;
const SOURCE_ALIAS = 'src';
export const EXACT_ALIAS_PREFIX = '__pulse_k';

export function fromClause(dialect: SqlDialect, source: SqlSource): string {
  if ('table' in source) {
    const { schema, name } = source.table;
    const table = schema ? `${dialect.quoteIdentifier(schema)}.${dialect.quoteIdentifier(name)}` : dialect.quoteIdentifier(name);
    return `${table} ${SOURCE_ALIAS}`;
  }
  const query = source.query.trim().replace(/;\s*$/, '');
  if (query.length === 0) throw new ConnectorError('invalid_source_config', 'The source query is empty');
  assertOneSubquery(dialect.name, query);
  // On lines of its own: a query ending in a line comment (`-- note`) must not comment out the `)`.
  return `(\n${query}\n) ${SOURCE_ALIAS}`;
}

/**
 * Builds one keyset page: `WHERE (cursor, pk) > (:c, :k) ORDER BY cursor, pk LIMIT n`. Where the
 * dialect has no row-value comparison the tuple is expanded to `c > :c OR (c = :c AND pk > :k)`, which
 * orders ties on the cursor by the key: a page boundary inside a run of equal cursor values neither
 * skips nor repeats a row.
 */
export function buildPageQuery(dialect: SqlDialect, input: PageQueryInput): PageQuery {
  if (!Number.isSafeInteger(input.limit) || input.limit < 1 || input.limit > MAX_PAGE_SIZE) {
    throw new ConnectorError('invalid_source_config', `Page size must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${input.limit}`);
  }
  if (input.order.length === 0) throw new ConnectorError('invalid_source_config', 'A keyset read needs at least one ordering column');
  if (input.after && input.after.length !== input.order.length) {
    throw new ConnectorError('invalid_sync_state', `The saved position has ${input.after.length} values for ${input.order.length} ordering columns`);
  }

  const params: JsonValue[] = [];
  const bindValue = (value: JsonValue, column: TypedColumn): string => {
    params.push(value);
    return dialect.bind(dialect.placeholder(params.length), column);
  };
  const quoted = input.order.map((column) => `${SOURCE_ALIAS}.${dialect.quoteIdentifier(column.name)}`);

  const select = [`${SOURCE_ALIAS}.*`];
  const exactAliases = input.order.map((column, index) => {
    const expression = dialect.exactText(quoted[index] as string, column);
    if (expression === null) return null;
    const alias = `${EXACT_ALIAS_PREFIX}${index}`;
    select.push(`${expression} AS ${dialect.quoteIdentifier(alias)}`);
    return alias;
  });

  const conditions: string[] = [];
  for (let index = 0; index < input.cursorColumns; index++) conditions.push(`${quoted[index]} IS NOT NULL`);
  if (input.from !== null) conditions.push(`${quoted[0]} >= ${bindValue(input.from, input.order[0] as TypedColumn)}`);
  if (input.after) conditions.push(tupleGreaterThan(dialect, input.order, quoted, input.after, bindValue));

  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const sql = `SELECT ${select.join(', ')} FROM ${fromClause(dialect, input.source)}${where} ORDER BY ${quoted.join(', ')} ${dialect.limit(input.limit)}`;
  return { sql, params, exactAliases };
}

function tupleGreaterThan(
  dialect: SqlDialect,
  order: TypedColumn[],
  quoted: string[],
  after: JsonValue[],
  bindValue: (value: JsonValue, column: TypedColumn) => string,
): string {
  if (order.length === 1) return `${quoted[0]} > ${bindValue(after[0] as JsonValue, order[0] as TypedColumn)}`;
  if (dialect.rowValueComparison) {
    const values = order.map((column, index) => bindValue(after[index] as JsonValue, column));
    return `(${quoted.join(', ')}) > (${values.join(', ')})`;
  }
  // (a, b, c) > (x, y, z)  <=>  a > x OR (a = x AND b > y) OR (a = x AND b = y AND c > z)
  const branches = order.map((_, depth) => {
    const terms: string[] = [];
    for (let index = 0; index < depth; index++) {
      terms.push(`${quoted[index]} = ${bindValue(after[index] as JsonValue, order[index] as TypedColumn)}`);
    }
    terms.push(`${quoted[depth]} > ${bindValue(after[depth] as JsonValue, order[depth] as TypedColumn)}`);
    return terms.length === 1 ? (terms[0] as string) : `(${terms.join(' AND ')})`;
  });
  return `(${branches.join(' OR ')})`;
}

/** A query returning no rows but the source's columns: how a configured SELECT is described. */
export function buildDescribeQuery(dialect: SqlDialect, source: SqlSource): string {
  const from = fromClause(dialect, source);
  return dialect.name === 'mssql' ? `SELECT TOP 0 ${SOURCE_ALIAS}.* FROM ${from}` : dialect.name === 'oracle'
    ? `SELECT ${SOURCE_ALIAS}.* FROM ${from} WHERE 1 = 0`
    : `SELECT ${SOURCE_ALIAS}.* FROM ${from} LIMIT 0`;
}
