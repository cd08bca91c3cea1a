import type { TenantDatabaseClient } from '@pulse/tenancy';
import { segmentsAfter, type CursorPosition, type Segment, type SortKey } from './keyset-pagination';
import { encodeCursor } from './list-cursor';
import { listQuery, type ListStatement } from './list-statement';
import { queryPrepared } from './prepared-query';

export interface KeysetPageRequest {
  limit: number;
  sort: SortKey[];
  /** sortSignature(sort), carried in the cursor. */
  signature: string;
  cursor?: CursorPosition;
}

type PageRow = Record<`cursor_${number}`, string | null>;

/**
 * Reads one page: the segments still ahead of the cursor, in order, until limit + 1 rows (the extra row
 * only says there is a next page). Rows must select their sort values as cursor_0..n.
 */
export async function readKeysetPage<Row extends PageRow>(
  db: TenantDatabaseClient,
  request: KeysetPageRequest,
  sqlFor: (segment: Segment, limit: number) => ListStatement,
  idOf: (row: Row) => string,
): Promise<{ rows: Row[]; nextCursor: string | null }> {
  const rows: Row[] = [];
  const seen = new Set<string>();
  for (const segment of segmentsAfter(request.sort, request.cursor)) {
    // Each segment is its own statement, so its own snapshot: a metrics run that committed in between and
    // set a row's sort value to NULL puts the row in both. It is shown once, where the page met it first;
    // a later segment is asked for a whole page, as it may repeat every row before it.
    const statement = sqlFor(segment, request.limit + 1);
    for (const row of (await queryPrepared<Row>(db, await listQuery(db, statement))).rows) {
      const id = idOf(row);
      if (seen.has(id)) continue;
      seen.add(id);
      rows.push(row);
    }
    if (rows.length > request.limit) break;
  }
  const page = rows.slice(0, request.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > request.limit && last
      ? encodeCursor(request.signature, { values: request.sort.map((_, i) => last[`cursor_${i}`] ?? null), id: idOf(last) })
      : null;
  return { rows: page, nextCursor };
}
