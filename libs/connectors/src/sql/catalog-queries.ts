import type { SqlDialectName } from './sql-dialect';

/**
 * One row per column of every table the connection can see, with the column's position in the primary
 * key (NULL when not part of it). Each query returns the same lower-case column names.
 */
export const CATALOG_QUERIES: Record<SqlDialectName, string> = {
  postgres: `SELECT c.table_schema, c.table_name, c.column_name,
  CASE WHEN c.data_type = 'ARRAY' THEN 'array' ELSE c.data_type END AS data_type,
  c.is_nullable, c.numeric_scale, k.ordinal_position AS primary_key_position
FROM information_schema.columns c
LEFT JOIN information_schema.table_constraints t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.constraint_type = 'PRIMARY KEY'
LEFT JOIN information_schema.key_column_usage k
  ON k.constraint_schema = t.constraint_schema AND k.constraint_name = t.constraint_name AND k.column_name = c.column_name
WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY c.table_schema, c.table_name, c.ordinal_position`,
  mysql: `SELECT c.TABLE_SCHEMA AS table_schema, c.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name,
  c.COLUMN_TYPE AS data_type, c.IS_NULLABLE AS is_nullable, c.NUMERIC_SCALE AS numeric_scale,
  k.ORDINAL_POSITION AS primary_key_position
FROM information_schema.COLUMNS c
LEFT JOIN information_schema.KEY_COLUMN_USAGE k
  ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'
WHERE c.TABLE_SCHEMA = DATABASE()
ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION`,
  mssql: `SELECT c.TABLE_SCHEMA AS table_schema, c.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name,
  c.DATA_TYPE AS data_type, c.IS_NULLABLE AS is_nullable, c.NUMERIC_SCALE AS numeric_scale,
  k.ORDINAL_POSITION AS primary_key_position
FROM INFORMATION_SCHEMA.COLUMNS c
LEFT JOIN INFORMATION_SCHEMA.TABLE_CONSTRAINTS t
  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.CONSTRAINT_TYPE = 'PRIMARY KEY'
LEFT JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE k
  ON k.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = t.CONSTRAINT_NAME AND k.COLUMN_NAME = c.COLUMN_NAME
ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION`,
  oracle: `SELECT c.OWNER AS "table_schema", c.TABLE_NAME AS "table_name", c.COLUMN_NAME AS "column_name",
  c.DATA_TYPE AS "data_type", c.NULLABLE AS "is_nullable", c.DATA_SCALE AS "numeric_scale",
  k.POSITION AS "primary_key_position"
FROM ALL_TAB_COLUMNS c
LEFT JOIN ALL_CONSTRAINTS t
  ON t.OWNER = c.OWNER AND t.TABLE_NAME = c.TABLE_NAME AND t.CONSTRAINT_TYPE = 'P'
LEFT JOIN ALL_CONS_COLUMNS k
  ON k.OWNER = t.OWNER AND k.CONSTRAINT_NAME = t.CONSTRAINT_NAME AND k.COLUMN_NAME = c.COLUMN_NAME
WHERE c.OWNER = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA')
ORDER BY c.OWNER, c.TABLE_NAME, c.COLUMN_ID`,
};
