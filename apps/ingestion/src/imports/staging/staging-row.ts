import type { CanonicalRow, RowRejection } from '@pulse/parsing';
import { csvField } from './staging-table';

/**
 * One parsed row as a COPY line of its staging table, or a rejection for what PostgreSQL cannot store
 * (a NUL character in a text value or in `custom`): rejecting that row is better than failing the batch.
 */
export function stagingLine(row: CanonicalRow, fields: readonly string[]): string | RowRejection {
  let line = String(row.line);
  for (const field of fields) {
    const value = row.values[field] ?? null;
    if (value !== null && value.includes('\u0000')) return nulRejection(row, field);
    line += `,${csvField(value)}`;
  }
  const custom = JSON.stringify(row.custom);
  if (custom.includes('\\u0000')) return nulRejection(row, 'custom');
  return `${line},${csvField(custom)}\n`;
}

function nulRejection(row: CanonicalRow, column: string): RowRejection {
  return {
    line: row.line,
    column,
    reasonCode: 'invalid_value',
    message: 'The value contains a NUL character, which cannot be stored.',
    raw: JSON.stringify({ ...row.values, custom: row.custom }),
  };
}
