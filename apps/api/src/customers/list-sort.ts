import { ValidationError } from '@pulse/errors';
import type { SortColumn, SortKey } from './keyset-pagination';

/**
 * Parses `sort=-revenue90d,name` against the sortable fields of a resource. Unknown or repeated fields
 * are a 400 naming each of them (`query.sort`), never silently ignored.
 */
export function parseSort(raw: string | undefined, fields: Readonly<Record<string, SortColumn>>, defaultSort: string): SortKey[] {
  const parts = (raw ?? defaultSort).split(',').map((part) => part.trim());
  const unknown: string[] = [];
  const seen = new Set<string>();
  const keys: SortKey[] = [];
  for (const part of parts) {
    const descending = part.startsWith('-');
    const field = descending ? part.slice(1) : part;
    const column = Object.hasOwn(fields, field) ? fields[field] : undefined;
    if (!column || seen.has(field)) {
      unknown.push(part);
      continue;
    }
    seen.add(field);
    keys.push({ field, column, descending });
  }
  if (unknown.length > 0 || keys.length === 0) {
    throw new ValidationError([
      {
        field: 'query.sort',
        code: 'invalid_sort',
        message: `Unknown or repeated sort field(s): ${unknown.map((u) => JSON.stringify(u)).join(', ') || '(empty)'}. Sortable: ${Object.keys(fields).join(', ')}.`,
      },
    ]);
  }
  return keys;
}

/** The canonical text of a sort, carried in cursors so a cursor is only accepted with its own sort. */
export function sortSignature(keys: SortKey[]): string {
  return keys.map((key) => `${key.descending ? '-' : ''}${key.field}`).join(',');
}
