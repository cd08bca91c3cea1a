import { BoundedConcurrency } from './bounded-concurrency';

describe('BoundedConcurrency', () => {
  it('never runs more than the limit at once, and runs every task', async () => {
    const bound = new BoundedConcurrency(2);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        bound.run(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running -= 1;
          done.push(n);
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('frees its slot when a task fails', async () => {
    const bound = new BoundedConcurrency(1);
    await expect(bound.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(bound.run(async () => 'next')).resolves.toBe('next');
  });
});
