import type { TenantDatabaseClient } from '@pulse/tenancy';
import { readKeysetPage } from './keyset-page';
import type { SortKey } from './keyset-pagination';

type Row = { id: string; cursor_0: string | null };

const AOV_DESCENDING: SortKey[] = [{ field: 'averageOrderValue', column: { sql: 'k.aov', type: 'numeric', nullable: true }, descending: true }];

/** A database whose answers are the given segments' rows, one list per statement, in order. */
function databaseAnswering(...segments: Row[][]): TenantDatabaseClient {
  const answers = [...segments];
  return { query: async () => ({ rows: answers.shift() ?? [] }) } as unknown as TenantDatabaseClient;
}

describe('readKeysetPage', () => {
  const read = (db: TenantDatabaseClient, limit = 10) =>
    readKeysetPage<Row>(db, { limit, sort: AOV_DESCENDING, signature: 'aov' }, (segment, rows) => ({ text: `SELECT ${segment} LIMIT ${rows}`, values: [], reusablePlan: false }), (row) => row.id);

  it('reads the rows with a value, then those without, into one page', async () => {
    const page = await read(databaseAnswering([{ id: 'a', cursor_0: '10' }], [{ id: 'b', cursor_0: null }]));
    expect(page.rows.map((row) => row.id)).toEqual(['a', 'b']);
    expect(page.nextCursor).toBeNull();
  });

  it('shows a customer once when a run set its value to NULL between the two statements', async () => {
    // The second statement's snapshot already has a's value gone: a is in both segments.
    const page = await read(databaseAnswering([{ id: 'a', cursor_0: '10' }], [{ id: 'c', cursor_0: null }, { id: 'b', cursor_0: null }, { id: 'a', cursor_0: null }]));
    expect(page.rows).toEqual([
      { id: 'a', cursor_0: '10' },
      { id: 'c', cursor_0: null },
      { id: 'b', cursor_0: null },
    ]);
  });

  it('still has a next page when the repeated customer took a place of the page', async () => {
    const asked: string[] = [];
    const answers: Row[][] = [[{ id: 'a', cursor_0: '10' }], [{ id: 'x', cursor_0: null }, { id: 'a', cursor_0: null }, { id: 'y', cursor_0: null }]];
    const db = { query: async ({ text }: { text: string }) => (asked.push(text), { rows: answers.shift() ?? [] }) } as unknown as TenantDatabaseClient;
    const page = await read(db, 2);
    // The NULL segment is asked for a whole page (3 rows: the page and one more), since it may repeat a.
    expect(asked).toEqual(['SELECT present LIMIT 3', 'SELECT missing LIMIT 3']);
    expect(page.rows.map((row) => row.id)).toEqual(['a', 'x']);
    // Before: asked for 2, it answered x and a; a dropped, the page looked like the last one and y was never listed.
    expect(page.nextCursor).not.toBeNull();
  });
});
