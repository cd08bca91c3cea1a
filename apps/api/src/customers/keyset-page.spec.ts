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
  const read = (db: TenantDatabaseClient) =>
    readKeysetPage<Row>(db, { limit: 10, sort: AOV_DESCENDING, signature: 'aov' }, (segment) => ({ text: `SELECT ${segment}`, values: [], reusablePlan: false }), (row) => row.id);

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
});
