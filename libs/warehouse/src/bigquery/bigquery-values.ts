import { integerValue, isoFromMicros } from '../iso-timestamp';
import type { WarehouseRow, WarehouseValue } from '../warehouse';

/** A column of a query result's schema as the REST API returns it. */
export interface BigQueryResultField {
  name: string;
  type: string;
  mode?: string;
}

/** A row as jobs.getQueryResults returns it: `{ f: [{ v }, ...] }`. */
export interface BigQueryRawRow {
  f: { v: unknown }[];
}

/**
 * One REST value in the dialect-neutral shape of `WarehouseValue`. Timestamps arrive as int64
 * microseconds (the client asks with formatOptions.useInt64Timestamp=true).
 */
function toWarehouseValue(field: BigQueryResultField, value: unknown): WarehouseValue {
  if (value === null || value === undefined) return null;
  if (field.mode === 'REPEATED' || typeof value !== 'string') return JSON.stringify(value);
  switch (field.type) {
    case 'INTEGER':
    case 'INT64':
      return integerValue(BigInt(value));
    case 'FLOAT':
    case 'FLOAT64':
      return Number(value);
    case 'BOOLEAN':
    case 'BOOL':
      return value.toLowerCase() === 'true';
    case 'TIMESTAMP':
      return isoFromMicros(BigInt(value));
    default:
      // NUMERIC/BIGNUMERIC stay exact text; DATE, STRING, JSON are text already.
      return value;
  }
}

export function toWarehouseRows(fields: readonly BigQueryResultField[], rows: readonly BigQueryRawRow[]): WarehouseRow[] {
  return rows.map((row) => {
    const result: WarehouseRow = {};
    fields.forEach((field, index) => {
      result[field.name] = toWarehouseValue(field, row.f[index]?.v);
    });
    return result;
  });
}
