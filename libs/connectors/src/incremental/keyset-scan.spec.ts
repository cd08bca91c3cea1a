import { advanceScan, parseKeysetState, positionScan, type KeysetConfig, type KeysetRow } from './keyset-scan';

const config: KeysetConfig = { mode: 'incremental', orderTypes: ['timestamp', 'integer'], cursorColumns: 1, lookback: 60 };
const row = (at: string, id: number): KeysetRow => ({ record: { id, at }, tuple: [at, id] });

describe('keyset scan', () => {
  it('starts from the beginning, then rewinds by the lookback at each new sync', () => {
    const first = positionScan(null, config, true);
    expect(first).toEqual({ v: 1, mode: 'incremental', after: null, from: null, highWater: null, recent: {} });
    const read = advanceScan(first, [row('2026-01-01T00:00:00', 1), row('2026-01-01T00:01:00', 2)], 5, config);
    expect(read.done).toBe(true);
    expect(read.state.highWater).toEqual(['2026-01-01T00:01:00', 2]);
    // Both rows are inside the window behind the high-water mark (00:00:00 .. 00:01:00).
    expect(read.state.recent).toEqual({ '[1]': '["2026-01-01T00:00:00"]', '[2]': '["2026-01-01T00:01:00"]' });
    const next = positionScan(read.state, config, true);
    expect(next.after).toBeNull();
    expect(next.from).toBe('2026-01-01T00:00:00');
  });

  it('skips re-read rows that did not change, delivers late and updated ones, and forgets keys outside the window', () => {
    const state = {
      v: 1 as const, mode: 'incremental' as const, after: null, from: '2026-01-01T00:00:00', highWater: ['2026-01-01T00:01:00', 2],
      recent: { '[1]': '["2026-01-01T00:00:00"]', '[2]': '["2026-01-01T00:01:00"]' },
    };
    const page = advanceScan(state, [row('2026-01-01T00:00:00', 1), row('2026-01-01T00:00:30', 3), row('2026-01-01T00:05:00', 2)], 10, config);
    // 1 unchanged (skipped); 3 arrived late; 2 was updated (new cursor).
    expect(page.records).toEqual([{ id: 3, at: '2026-01-01T00:00:30' }, { id: 2, at: '2026-01-01T00:05:00' }]);
    expect(page.state.highWater).toEqual(['2026-01-01T00:05:00', 2]);
    // The window is now 00:04:00 .. 00:05:00: keys 1 and 3 fall out.
    expect(page.state.recent).toEqual({ '[2]': '["2026-01-01T00:05:00"]' });
  });

  it('keeps going inside a sync while pages are full, and resumes an interrupted scan without a lookback', () => {
    const noLookback = { ...config, lookback: 0 };
    const page = advanceScan(positionScan(null, noLookback, true), [row('2026-01-01T00:00:00', 1), row('2026-01-01T00:00:00', 2)], 2, noLookback);
    expect(page.done).toBe(false);
    expect(page.state.after).toEqual(['2026-01-01T00:00:00', 2]);
    expect(page.state.highWater).toBeNull();
    // A new sync after a crash continues from the committed position instead of re-reading.
    expect(positionScan(page.state, noLookback, true).after).toEqual(['2026-01-01T00:00:00', 2]);
  });

  it('keeps only the keys inside the window behind the last row read, page after page of a long scan', () => {
    // One row every 10 s for ~3.5 days, pages of 500: a 60 s window holds the last row and the six before it.
    const pageSize = 500;
    const at = (id: number): string => new Date(Date.UTC(2026, 0, 1) + id * 10_000).toISOString().slice(0, 19);
    let state = positionScan(null, config, true);
    let id = 0;
    let delivered = 0;
    for (let page = 0; page < 60; page++) {
      const rows = Array.from({ length: pageSize }, () => row(at(++id), id));
      const read = advanceScan(state, rows, pageSize, config);
      expect(read.done).toBe(false);
      delivered += read.records.length;
      state = read.state;
      expect(Object.keys(state.recent).sort()).toEqual([id - 6, id - 5, id - 4, id - 3, id - 2, id - 1, id].map((key) => `[${key}]`).sort());
    }
    const last = advanceScan(state, [], pageSize, config);
    expect(last.done).toBe(true);
    expect(delivered).toBe(30_000);
    expect(last.state.highWater).toEqual([at(id), id]);
    expect(Object.keys(last.state.recent)).toHaveLength(7);

    // The next sync re-reads the window in pages smaller than it: nothing is delivered again, and the
    // keys it still needs are not dropped while the scan walks through it.
    let next = positionScan(last.state, config, true);
    expect(next.from).toBe(at(id - 6));
    const window = Array.from({ length: 7 }, (_, index) => row(at(id - 6 + index), id - 6 + index));
    for (let start = 0; start < window.length; start += 2) {
      const read = advanceScan(next, window.slice(start, start + 2), 2, config);
      expect(read.records).toEqual([]);
      next = read.state;
    }
    expect(Object.keys(next.recent)).toHaveLength(7);
  });

  it('keeps a key whose cursor is exactly at the window edge and drops one just before it, across a page boundary', () => {
    // Window behind the last row (00:02:00): 00:01:00 inclusive.
    const first = advanceScan(positionScan(null, config, true), [row('2026-01-01T00:00:59', 1), row('2026-01-01T00:01:00', 2)], 2, config);
    // Mid-scan, nothing is outside the window behind 00:01:00 yet.
    expect(Object.keys(first.state.recent).sort()).toEqual(['[1]', '[2]']);
    const second = advanceScan(first.state, [row('2026-01-01T00:01:00', 3), row('2026-01-01T00:02:00', 4)], 2, config);
    expect(second.state.recent).toEqual({
      '[2]': '["2026-01-01T00:01:00"]', '[3]': '["2026-01-01T00:01:00"]', '[4]': '["2026-01-01T00:02:00"]',
    });
    const done = advanceScan(second.state, [], 2, config);
    expect(done.state.highWater).toEqual(['2026-01-01T00:02:00', 4]);
    expect(Object.keys(done.state.recent).sort()).toEqual(['[2]', '[3]', '[4]']);

    // The next sync reads from 00:01:00 inclusive: the two rows tying the edge are known and skipped, a
    // late row at the edge is delivered, and an update of the row that had left the window is delivered.
    const next = positionScan(done.state, config, true);
    expect(next.from).toBe('2026-01-01T00:01:00');
    const reread = advanceScan(
      next,
      [row('2026-01-01T00:01:00', 2), row('2026-01-01T00:01:00', 3), row('2026-01-01T00:01:00', 5), row('2026-01-01T00:02:00', 4), row('2026-01-01T00:02:30', 1)],
      10,
      config,
    );
    expect(reread.records).toEqual([{ id: 5, at: '2026-01-01T00:01:00' }, { id: 1, at: '2026-01-01T00:02:30' }]);
    // Window behind 00:02:30 starts at 00:01:30: the 00:01:00 keys leave it.
    expect(reread.state.recent).toEqual({ '[4]': '["2026-01-01T00:02:00"]', '[1]': '["2026-01-01T00:02:30"]' });
  });

  it('restarts a full refresh at every sync and ignores a state saved for another mode or column set', () => {
    const full: KeysetConfig = { mode: 'full_refresh', orderTypes: ['integer'], cursorColumns: 0, lookback: 0 };
    const midway = { v: 1 as const, mode: 'full_refresh' as const, after: [40], from: null, highWater: null, recent: {} };
    expect(positionScan(midway, full, true).after).toBeNull();
    expect(positionScan(midway, full, false).after).toEqual([40]);
    expect(parseKeysetState({ ...midway, mode: 'incremental' }, full)).toBeNull();
    expect(parseKeysetState({ ...midway, after: [1, 2] }, full)).toBeNull();
    expect(() => parseKeysetState({ cursor: 'x' }, full)).toThrow('The saved sync state is not a keyset position');
  });
});
