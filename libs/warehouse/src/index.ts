export type {
  Warehouse,
  WarehouseDialect,
  WarehouseTenant,
  StagedLoad,
  QueryOptions,
  ApplyLoadsOptions,
  ExportOptions,
  ExportResult,
  WarehouseRow,
  WarehouseValue,
} from './warehouse';
export { WarehouseError, type FailedLoad, type WarehouseErrorCode } from './warehouse-error';
export {
  warehouseTableDdl,
  warehouseTableSpec,
  warehouseColumns,
  warehouseColumnType,
  LOADED_AT_COLUMN,
  type WarehouseTableSpec,
  type WarehouseColumn,
  type WarehouseColumnType,
} from './warehouse-tables';
export type { FetchObject } from './object-uri';
export { DuckDbWarehouse, type DuckDbWarehouseOptions } from './duckdb/duckdb-warehouse';
export { loadDuckDbRows, stagedCsv, type WarehouseInputValue } from './duckdb/load-duckdb-rows';
export { createWarehouse, createDuckDbWarehouse, createBigQueryClient, type WarehouseDependencies } from './create-warehouse';
export { BigQueryWarehouse, type BigQueryWarehouseOptions } from './bigquery/bigquery-warehouse';
export { bigQueryMergeSql } from './bigquery/bigquery-sql';
export { tenantDatasetId } from './bigquery/bigquery-names';
export { assertBigQuerySql } from './bigquery/bigquery-sql-check';
