import { BoundedConcurrency } from './bounded-concurrency';

/** A task that runs until the test releases it, recording when it started. */
function gatedTask(started: string[], name: string): { task: () => Promise<void>; release: () => void } {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    task: async () => {
      started.push(name);
      await gate;
    },
    release: () => release(),
  };
}

describe('BoundedConcurrency', () => {
  it('never runs more than the limit at once, and runs every task', async () => {
    const bound = new BoundedConcurrency(2);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        bound.run(`tenant-${n % 2}`, async () => {
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
    await expect(bound.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(bound.run('a', async () => 'next')).resolves.toBe('next');
  });

  it("gives a freed slot to a tenant with nothing running before another tenant's backlog, each tenant's tasks in arrival order", async () => {
    const bound = new BoundedConcurrency(2);
    const started: string[] = [];
    const tasks = new Map<string, ReturnType<typeof gatedTask>>();
    const runs: Array<Promise<void>> = [];
    const submit = (tenant: string, n: number) => {
      const gated = gatedTask(started, `${tenant}${n}`);
      tasks.set(`${tenant}${n}`, gated);
      runs.push(bound.run(tenant, gated.task));
    };
    // Tenant B queues five large imports, then A one small import.
    for (let n = 1; n <= 5; n++) submit('B', n);
    submit('A', 1);
    await new Promise(setImmediate);
    expect(started).toEqual(['B1', 'B2']);

    tasks.get('B1')?.release();
    await new Promise(setImmediate);
    // Before: B3 (arrival order), and A1 waited for B3, B4 and B5 to start.
    expect(started).toEqual(['B1', 'B2', 'A1']);

    for (const name of ['B2', 'A1', 'B3', 'B4', 'B5']) {
      tasks.get(name)?.release();
      await new Promise(setImmediate);
    }
    await Promise.all(runs);
    expect(started).toEqual(['B1', 'B2', 'A1', 'B3', 'B4', 'B5']);
  });
});
