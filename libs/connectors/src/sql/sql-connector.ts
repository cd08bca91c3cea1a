import type { DiscoveredColumn, DiscoveredStream, JsonValue, ReadOptions, SourceConnector, SourcePage, SourceRecord, StreamState } from '../connector';
import { ConnectorError } from '../connector-errors';
import { advanceScan, parseKeysetState, positionScan, type KeysetConfig, type KeysetRow, type SyncMode } from '../incremental/keyset-scan';
import { assertNoBreakingDrift, compareSchemas, type ExpectedColumn } from '../schema-drift';
import { CATALOG_QUERIES } from './catalog-queries';
import { buildDescribeQuery, buildPageQuery, EXACT_ALIAS_PREFIX, type SqlSource } from './page-query';
import type { SqlDialect, TypedColumn } from './sql-dialect';
import { normaliseSqlType } from './type-mapping';

/** A column as a driver describes a result set: name and the database's type name. */
export interface ResultColumn {
  name: string;
  sourceType: string;
  numericScale?: number | null;
}

/**
 * The little a connector needs from a database driver. Implementations bind `params` positionally,
 * return rows as JSON records with exact text for values JavaScript cannot hold, and never log values.
 */
export interface SqlDriver {
  readonly dialect: SqlDialect;
  query(sql: string, params: readonly JsonValue[]): Promise<SourceRecord[]>;
  /** The columns of a statement's result, without fetching rows. */
  describe(sql: string): Promise<ResultColumn[]>;
  close(): Promise<void>;
}

export interface SqlStreamConfig {
  source: SqlSource;
  mode: SyncMode;
  /** Incremental only: the column(s) that grow when a row is inserted or updated (e.g. updated_at). */
  cursorColumns: string[];
  primaryKey: string[];
  /** Incremental only: re-read this far behind the last cursor (seconds, or units for a numeric cursor). */
  lookbackSeconds?: number;
  pageSize?: number;
  /** Columns recorded at setup; with `mappedColumns`, a removed or retyped mapped column fails the sync. */
  expectedColumns?: ExpectedColumn[];
  mappedColumns?: string[];
}

export const DEFAULT_PAGE_SIZE = 5_000;

export class SqlConnector implements SourceConnector {
  readonly kind: string;
  private columns: DiscoveredColumn[] | null = null;

  constructor(
    private readonly driver: SqlDriver,
    private readonly stream: SqlStreamConfig,
  ) {
    this.kind = driver.dialect.name;
    if (stream.primaryKey.length === 0) throw new ConnectorError('invalid_source_config', 'A database source needs its primary key column(s)');
    if (stream.mode === 'incremental' && stream.cursorColumns.length === 0) {
      throw new ConnectorError('invalid_source_config', 'An incremental database source needs at least one cursor column');
    }
  }

  async discover(): Promise<DiscoveredStream[]> {
    const dialect = this.driver.dialect;
    const rows = await this.driver.query(CATALOG_QUERIES[dialect.name], []);
    const streams = new Map<string, DiscoveredStream & { keyPositions: [number, string][] }>();
    for (const row of rows) {
      const name = `${String(row['table_schema'])}.${String(row['table_name'])}`;
      let stream = streams.get(name);
      if (!stream) streams.set(name, (stream = { name, columns: [], primaryKey: [], keyPositions: [] }));
      const sourceType = String(row['data_type']);
      const scale = row['numeric_scale'] === null ? null : Number(row['numeric_scale']);
      stream.columns.push({
        name: String(row['column_name']),
        type: normaliseSqlType(dialect.name, sourceType, scale),
        sourceType,
        nullable: row['is_nullable'] === 'YES' || row['is_nullable'] === 'Y',
      });
      if (row['primary_key_position'] !== null && row['primary_key_position'] !== undefined) {
        stream.keyPositions.push([Number(row['primary_key_position']), String(row['column_name'])]);
      }
    }
    return [...streams.values()].map(({ keyPositions, ...stream }) => ({
      ...stream,
      primaryKey: keyPositions.sort((a, b) => a[0] - b[0]).map(([, column]) => column),
    }));
  }

  /** The configured table's or query's columns, as they are now. */
  async describeSource(): Promise<DiscoveredColumn[]> {
    const described = await this.driver.describe(buildDescribeQuery(this.driver.dialect, this.stream.source));
    return described.map((column) => ({
      name: column.name,
      type: normaliseSqlType(this.driver.dialect.name, column.sourceType, column.numericScale),
      sourceType: column.sourceType,
      nullable: true,
    }));
  }

  /** Up to `limit` rows in keyset order, for previews; touches no state. */
  async preview(limit: number): Promise<SourceRecord[]> {
    const order = await this.orderColumns();
    const query = buildPageQuery(this.driver.dialect, { source: this.stream.source, order, cursorColumns: 0, after: null, from: null, limit });
    return (await this.driver.query(query.sql, query.params)).map(stripExactAliases);
  }

  async readPage(state: StreamState | null, options: ReadOptions): Promise<SourcePage> {
    const order = await this.orderColumns(options.syncStart);
    const config = this.keysetConfig(order);
    const position = positionScan(parseKeysetState(state, config), config, options.syncStart);
    const pageSize = this.stream.pageSize ?? DEFAULT_PAGE_SIZE;
    const query = buildPageQuery(this.driver.dialect, {
      source: this.stream.source,
      order,
      cursorColumns: config.cursorColumns,
      after: position.after,
      from: position.from,
      limit: pageSize,
    });
    const rows = await this.driver.query(query.sql, query.params);
    const keyed: KeysetRow[] = rows.map((row) => ({
      record: stripExactAliases(row),
      tuple: order.map((column, index) => {
        const alias = query.exactAliases[index];
        const value = alias ? row[alias] : row[column.name];
        if (value === undefined) throw new ConnectorError('source_request_failed', `The source returned no column ${JSON.stringify(column.name)}`);
        return value as JsonValue;
      }),
    }));
    const page = advanceScan(position, keyed, pageSize, config);
    return { kind: 'records', records: page.records, state: page.state as unknown as StreamState, done: page.done };
  }

  async close(): Promise<void> {
    await this.driver.close();
  }

  private keysetConfig(order: TypedColumn[]): KeysetConfig {
    const cursorColumns = this.stream.mode === 'incremental' ? this.stream.cursorColumns.length : 0;
    return { mode: this.stream.mode, orderTypes: order.map((column) => column.type), cursorColumns, lookback: this.stream.lookbackSeconds ?? 0 };
  }

  /** Cursor then key columns with their types; at the start of a sync, also the schema drift check. */
  private async orderColumns(refresh = false): Promise<TypedColumn[]> {
    if (!this.columns || refresh) {
      this.columns = await this.describeSource();
      if (this.stream.expectedColumns) {
        assertNoBreakingDrift(compareSchemas(this.stream.expectedColumns, this.columns, this.stream.mappedColumns ?? []));
      }
    }
    const byName = new Map(this.columns.map((column) => [column.name, column]));
    const names = this.stream.mode === 'incremental' ? [...this.stream.cursorColumns, ...this.stream.primaryKey] : this.stream.primaryKey;
    return names.map((name) => {
      const column = byName.get(name);
      if (!column) {
        throw new ConnectorError('invalid_source_config', `Column ${JSON.stringify(name)} is not in the source (it has ${[...byName.keys()].join(', ')})`);
      }
      // A page resumes after the last row's values bound as parameters; binary ones come back as base64
      // text and compare as text with the column, so a read repeated pages without end or skipped rows.
      if (column.type === 'binary') {
        throw new ConnectorError(
          'invalid_source_config',
          `Column ${JSON.stringify(name)} is binary (${column.sourceType}): a read cannot page by it; use another key or cursor column (a number, a text or a timestamp)`,
        );
      }
      return column;
    });
  }
}

function stripExactAliases(row: SourceRecord): SourceRecord {
  const record: SourceRecord = {};
  for (const [name, value] of Object.entries(row)) if (!name.startsWith(EXACT_ALIAS_PREFIX)) record[name] = value;
  return record;
}
