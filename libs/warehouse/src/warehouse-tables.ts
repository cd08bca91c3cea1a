import { CANONICAL_ENTITIES, CANONICAL_ENTITY_SPECS, type CanonicalEntity, type CanonicalFieldType } from '@pulse/contracts';
import type { WarehouseDialect } from './warehouse';

/** The type of a warehouse column: the canonical field types, minus `list` (aliases stay in PostgreSQL). */
export type WarehouseColumnType = Exclude<CanonicalFieldType, 'list'>;

export interface WarehouseColumn {
  readonly name: string;
  readonly type: WarehouseColumnType;
  readonly required: boolean;
}

export interface WarehouseTableSpec {
  readonly entity: CanonicalEntity;
  /** Columns of the staged file, in file order (canonical fields except `aliases`, then `custom`). */
  readonly columns: readonly WarehouseColumn[];
  /** The upsert key (a staged row replaces the row with the same key; rows with a NULL key are appended). */
  readonly key: readonly string[];
  /** BigQuery: DAY partitioning on this timestamp column (the one metrics filter by). */
  readonly partitionBy?: string;
  /** BigQuery: clustering columns (the ones metrics group and join by), at most four. */
  readonly clusterBy: readonly string[];
}

/** Every warehouse table also has this column: when the row was last loaded (not part of staged files). */
export const LOADED_AT_COLUMN = 'loaded_at';
/** Each dialect's record of the loads it applied (import, entity, mode), so a load handed over twice is applied once. */
export const APPLIED_LOADS_TABLE = '_pulse_applied_loads';

const LAYOUT: Record<CanonicalEntity, Pick<WarehouseTableSpec, 'partitionBy' | 'clusterBy'>> = {
  customers: { clusterBy: ['external_id'] },
  contacts: { clusterBy: ['customer_external_id'] },
  products: { clusterBy: ['sku'] },
  orders: { partitionBy: 'ordered_at', clusterBy: ['customer_external_id'] },
  order_items: { clusterBy: ['order_external_id', 'sku'] },
  subscriptions: { clusterBy: ['customer_external_id'] },
  usage_events: { partitionBy: 'occurred_at', clusterBy: ['customer_external_id', 'type'] },
  nps_responses: { partitionBy: 'responded_at', clusterBy: ['customer_external_id'] },
  support_tickets: { partitionBy: 'opened_at', clusterBy: ['customer_external_id'] },
};

function tableSpec(entity: CanonicalEntity): WarehouseTableSpec {
  const spec = CANONICAL_ENTITY_SPECS[entity];
  const columns: WarehouseColumn[] = [];
  for (const field of spec.fields) {
    if (field.type === 'list') continue;
    columns.push({ name: field.name, type: field.type, required: field.required });
  }
  columns.push({ name: 'custom', type: 'json', required: false });
  return { entity, columns, key: spec.key, ...LAYOUT[entity] };
}

const TABLE_SPECS = Object.fromEntries(CANONICAL_ENTITIES.map((entity) => [entity, tableSpec(entity)])) as Record<
  CanonicalEntity,
  WarehouseTableSpec
>;

export function warehouseTableSpec(entity: CanonicalEntity): WarehouseTableSpec {
  const spec = TABLE_SPECS[entity];
  if (!spec) throw new Error(`Unknown warehouse entity ${JSON.stringify(entity)}`);
  return spec;
}

/** The staged file's columns for an entity, in order (what ingestion writes as the CSV header). */
export function warehouseColumns(entity: CanonicalEntity): readonly string[] {
  return warehouseTableSpec(entity).columns.map((column) => column.name);
}

const DUCKDB_TYPES: Record<WarehouseColumnType, string> = {
  text: 'VARCHAR',
  decimal: 'DECIMAL(18,4)',
  integer: 'BIGINT',
  date: 'DATE',
  timestamp: 'TIMESTAMPTZ',
  json: 'JSON',
};

const BIGQUERY_TYPES: Record<WarehouseColumnType, string> = {
  text: 'STRING',
  decimal: 'NUMERIC',
  integer: 'INT64',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  json: 'JSON',
};

export function warehouseColumnType(dialect: WarehouseDialect, type: WarehouseColumnType): string {
  return (dialect === 'duckdb' ? DUCKDB_TYPES : BIGQUERY_TYPES)[type];
}

/**
 * CREATE TABLE for an entity's warehouse table. DuckDB: unqualified (one database per tenant).
 * BigQuery: qualified by `dataset` when given (a dataset per tenant), DAY-partitioned and clustered.
 * No primary keys: loads upsert by delete + insert, which is cheaper for bulk loads than an index.
 */
export function warehouseTableDdl(dialect: WarehouseDialect, entity: CanonicalEntity, options: { dataset?: string } = {}): string {
  const spec = warehouseTableSpec(entity);
  const columns = [
    ...spec.columns.map(
      (column) => `  ${column.name} ${warehouseColumnType(dialect, column.type)}${column.required ? ' NOT NULL' : ''}`,
    ),
    `  ${LOADED_AT_COLUMN} ${warehouseColumnType(dialect, 'timestamp')} NOT NULL`,
  ];
  if (dialect === 'duckdb') return `CREATE TABLE IF NOT EXISTS ${entity} (\n${columns.join(',\n')}\n)`;
  const name = options.dataset ? `${options.dataset}.${entity}` : entity;
  const layout = [
    spec.partitionBy ? `PARTITION BY DATE(${spec.partitionBy})` : undefined,
    spec.clusterBy.length > 0 ? `CLUSTER BY ${spec.clusterBy.join(', ')}` : undefined,
  ].filter((line): line is string => line !== undefined);
  return [`CREATE TABLE IF NOT EXISTS ${name} (\n${columns.join(',\n')}\n)`, ...layout].join('\n');
}
