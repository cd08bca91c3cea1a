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
