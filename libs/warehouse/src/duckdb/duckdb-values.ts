import {
  DuckDBDateValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBResultReader,
  type DuckDBValue,
} from '@duckdb/node-api';
import { integerValue, isoFromMicros } from '../iso-timestamp';
import type { WarehouseRow, WarehouseValue } from '../warehouse';

const INTEGER_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/** One DuckDB value in the dialect-neutral shape documented on `WarehouseValue`. */
function toWarehouseValue(typeId: DuckDBTypeId, value: DuckDBValue): WarehouseValue {
  if (value === null) return null;
  if (INTEGER_TYPES.has(typeId) && (typeof value === 'bigint' || typeof value === 'number')) return integerValue(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (value instanceof DuckDBTimestampTZValue || value instanceof DuckDBTimestampValue) return isoFromMicros(value.micros);
  if (value instanceof DuckDBDateValue) return value.toString();
  // DECIMAL prints exactly with its scale ('12.5000'); other types (lists, structs, intervals) as DuckDB prints them.
  return String(value);
}

export function readWarehouseRows(reader: DuckDBResultReader): WarehouseRow[] {
  const names = reader.columnNames();
  const types = reader.columnTypes().map((type) => type.typeId);
  return reader.getRows().map((row) => {
    const result: WarehouseRow = {};
    names.forEach((name, index) => {
      result[name] = toWarehouseValue(types[index], row[index]);
    });
    return result;
  });
}
