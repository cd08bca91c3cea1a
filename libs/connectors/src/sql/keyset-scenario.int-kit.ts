import type { TestDatabase } from '@pulse/testing';
import { SqlConnector, type SqlDriver, type SqlStreamConfig } from './sql-connector';
import { CollectingSink, destinationDatabase, syncOnce } from './sync-scenario.int-kit';

/** A real source database holding one `events` table: how the shared scenario drives each engine. */
export interface SourceEngine {
  /** Creates the database and `events (id PK, updated_at microsecond timestamp NOT NULL, name, amount decimal(12,4))`. */
  setup(): Promise<void>;
  exec(sql: string): Promise<void>;
  connect(): Promise<SqlDriver>;
  /** [id, name, amount, updated_at] as text, read with the engine's own formatting functions. */
  sourceRows(): Promise<string[][]>;
  teardown(): Promise<void>;
}

const COLUMNS = ['id', 'name', 'amount', 'updated_at'];
// Microsecond digits end in non-zero so every engine prints all six (PostgreSQL trims trailing zeros).
const T0 = '2026-03-01 10:00:00.100001';
const T1 = '2026-03-01 10:00:05.200002';
const T2 = '2026-03-01 10:00:09.300003';
const T3 = '2026-03-01 10:00:20.400004';
const T4 = '2026-03-01 10:00:30.500005';

function values(rows: [number, string, string, string][]): string {
  return rows.map(([id, at, name, amount]) => `(${id}, '${at}', '${name}', ${amount})`).join(', ');
}

function sortedNumbers(keys: string[]): number[] {
  return keys.map((key) => Number((JSON.parse(key) as string[])[0])).sort((a, b) => a - b);
}

/**
 * Incremental and full-refresh reads against a real server: rows sharing cursor values across page
 * boundaries, late rows inside the lookback, updates, deletes, and a crash in the middle of a page.
 * After every sync the collected table must equal the source table, compared in full.
 */
export function describeKeysetScenario(engineName: string, engine: () => SourceEngine | null, skipReason: () => string): void {
  describe(`${engineName} keyset sync`, () => {
    let source: SourceEngine | null;
    let destination: TestDatabase;
    const stream = (overrides: Partial<SqlStreamConfig>): SqlStreamConfig => ({
      source: { table: { name: 'events' } },
      mode: 'incremental',
      cursorColumns: ['updated_at'],
      primaryKey: ['id'],
      pageSize: 3,
      ...overrides,
    });

    beforeAll(async () => {
      source = engine();
      if (!source) {
        console.warn(skipReason());
        return;
      }
      await source.setup();
      destination = await destinationDatabase();
    });

    afterAll(async () => {
      await source?.teardown();
      await destination?.drop();
    });

    beforeEach(async () => {
      await source?.exec('DELETE FROM events');
    });

    async function expectCollectedEqualsSource(sink: CollectingSink): Promise<void> {
      const expected = await (source as SourceEngine).sourceRows();
      expect(await sink.rows(COLUMNS)).toEqual(expected);
    }

    it('follows inserts, updates and late rows without losing or repeating any, then detects deletes on a full refresh', async () => {
      if (!source) return;
      const sink = await CollectingSink.open(destination.url, ['id']);
      const connector = new SqlConnector(await source.connect(), stream({ lookbackSeconds: 60 }));
      try {
        // Four rows share T1 and two share T2, so with pages of 3 both runs of ties straddle a boundary.
        await source.exec(
          `INSERT INTO events (id, updated_at, name, amount) VALUES ${values([
            [1, T0, 'a', '1.5'], [2, T1, 'b', '2.25'], [3, T1, 'c', '3'], [4, T1, 'd', '4.0001'],
            [5, T1, 'e', '5'], [6, T2, 'f', '6'], [7, T2, 'g', '-7.125'],
          ])}`,
        );
        expect(sortedNumbers(await syncOnce(connector, sink))).toEqual([1, 2, 3, 4, 5, 6, 7]);
        await expectCollectedEqualsSource(sink);

        // An update, an insert sharing the updated row's cursor, and two late rows behind the high-water
        // mark (T1 and T2 < T3) but inside the 60 s lookback.
        await source.exec(`UPDATE events SET updated_at = '${T3}', name = 'c2' WHERE id = 3`);
        await source.exec(`INSERT INTO events (id, updated_at, name, amount) VALUES ${values([[8, T3, 'h', '8'], [9, T1, 'late', '9'], [10, T2, 'late too', '10']])}`);
        expect(sortedNumbers(await syncOnce(connector, sink))).toEqual([3, 8, 9, 10]);
        await expectCollectedEqualsSource(sink);

        // Nothing changed: the lookback re-reads the window but delivers nothing again.
        expect(await syncOnce(connector, sink)).toEqual([]);

        // Five rows with one cursor value; the second page's commit dies half-way through.
        await source.exec(`INSERT INTO events (id, updated_at, name, amount) VALUES ${values([11, 12, 13, 14, 15].map((id) => [id, T4, `n${id}`, `${id}.5`]))}`);
        sink.crashOnNextPageWithRecords = true;
        const before = sink.committedKeys.length;
        await expect(syncOnce(connector, sink)).rejects.toThrow('simulated crash in the middle of a page');
        const committedBeforeCrash = sink.committedKeys.slice(before);
        const rerun = await syncOnce(connector, sink);
        expect(sortedNumbers([...committedBeforeCrash, ...rerun])).toEqual([11, 12, 13, 14, 15]);
        await expectCollectedEqualsSource(sink);
      } finally {
        await connector.close();
        await sink.close();
      }

      // Deletes and an update that kept its cursor (invisible to incremental reads): a full refresh
      // reads everything, and the keys it did not see are deleted.
      await source.exec('DELETE FROM events WHERE id IN (2, 7)');
      await source.exec("UPDATE events SET name = 'd2' WHERE id = 4");
      const fullSink = await CollectingSink.open(destination.url, ['id']);
      const full = new SqlConnector(await source.connect(), stream({ mode: 'full_refresh', cursorColumns: [] }));
      try {
        fullSink.startFullRead();
        await syncOnce(full, fullSink);
        await expectCollectedEqualsSource(fullSink);
      } finally {
        await full.close();
        await fullSink.close();
      }
    });

    it('without a lookback resumes strictly after the last (cursor, key), so a new row tying the last cursor is read once', async () => {
      if (!source) return;
      const sink = await CollectingSink.open(destination.url, ['id']);
      await sink.reset();
      const connector = new SqlConnector(await source.connect(), stream({ pageSize: 2 }));
      try {
        await source.exec(`INSERT INTO events (id, updated_at, name, amount) VALUES ${values([[1, T1, 'a', '1'], [2, T1, 'b', '2'], [3, T2, 'c', '3']])}`);
        expect(sortedNumbers(await syncOnce(connector, sink))).toEqual([1, 2, 3]);
        await source.exec(`INSERT INTO events (id, updated_at, name, amount) VALUES ${values([[4, T2, 'd', '4'], [5, T3, 'e', '5']])}`);
        expect(sortedNumbers(await syncOnce(connector, sink))).toEqual([4, 5]);
        expect(await syncOnce(connector, sink)).toEqual([]);
        await expectCollectedEqualsSource(sink);
      } finally {
        await connector.close();
        await sink.close();
      }
    });
  });
}
