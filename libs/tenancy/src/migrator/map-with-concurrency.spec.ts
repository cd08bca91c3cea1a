import { mapWithConcurrency } from './map-with-concurrency';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mapWithConcurrency', () => {
  it('keeps at most `concurrency` items in flight and returns results in input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapWithConcurrency([30, 5, 20, 1, 10, 2, 8], 3, async (ms, index) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await tick(ms);
      inFlight -= 1;
      return `${index}:${ms}`;
    });
    expect(peak).toBe(3);
    expect(results).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10', '5:2', '6:8']);
  });

  it('handles fewer items than workers, and none', async () => {
    expect(await mapWithConcurrency([1], 8, async (n) => n * 2)).toEqual([2]);
    expect(await mapWithConcurrency([], 8, async (n: number) => n)).toEqual([]);
  });

  it('rejects when work throws, after the started items settle', async () => {
    const finished: number[] = [];
    await expect(
      mapWithConcurrency([1, 2, 3, 4], 2, async (n) => {
        await tick(n * 5);
        if (n === 1) throw new Error('boom');
        finished.push(n);
        return n;
      }),
    ).rejects.toThrow('boom');
    expect(finished).toEqual([2]);
  });

  it('refuses a concurrency below one', async () => {
    await expect(mapWithConcurrency([1], 0, async (n) => n)).rejects.toThrow(RangeError);
  });
});
