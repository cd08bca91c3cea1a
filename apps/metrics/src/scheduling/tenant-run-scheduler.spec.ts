import { TenantRunScheduler } from './tenant-run-scheduler';

/** A manual clock: timers fire only when the test advances time. */
class ManualClock {
  now = 0;
  private timers: Array<{ at: number; callback: () => void; id: number }> = [];
  private nextId = 1;

  setTimer = (callback: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, callback, id });
    return id;
  };

  clearTimer = (id: unknown) => {
    this.timers = this.timers.filter((timer) => timer.id !== id);
  };

  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const next = this.timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.now = next.at;
      next.callback();
      await flush();
    }
    this.now = until;
    await flush();
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** Runs that the test finishes by hand, recording the order they started in. */
class ControlledRuns {
  readonly started: string[] = [];
  private readonly pending = new Map<string, Array<(result: { more: boolean }) => void>>();

  run = (tenantId: string) => {
    this.started.push(tenantId);
    return new Promise<{ more: boolean }>((resolve) => {
      this.pending.set(tenantId, [...(this.pending.get(tenantId) ?? []), resolve]);
    });
  };

  async finish(tenantId: string, more = false): Promise<void> {
    const [resolve, ...rest] = this.pending.get(tenantId) ?? [];
    if (!resolve) throw new Error(`no run of ${tenantId} in progress`);
    this.pending.set(tenantId, rest);
    resolve({ more });
    await flush();
  }

  running(): string[] {
    return [...this.pending.entries()].filter(([, list]) => list.length > 0).map(([tenant]) => tenant);
  }
}

function setup(options: { debounceMs?: number; maxWaitMs?: number; concurrency?: number } = {}) {
  const clock = new ManualClock();
  const runs = new ControlledRuns();
  const errors: unknown[] = [];
  const scheduler = new TenantRunScheduler({
    debounceMs: options.debounceMs ?? 1_000,
    maxWaitMs: options.maxWaitMs ?? 10_000,
    concurrency: options.concurrency ?? 2,
    run: runs.run,
    onError: (_tenant, error) => errors.push(error),
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    now: () => clock.now,
  });
  return { clock, runs, scheduler, errors };
}

describe('TenantRunScheduler', () => {
  it('turns a burst of 20 requests within the debounce window into one run, after the window', async () => {
    const { clock, runs, scheduler } = setup({ debounceMs: 1_000 });
    for (let i = 0; i < 20; i += 1) {
      scheduler.request('a');
      await clock.advance(100);
    }
    // The last request came at 1 900 ms: due at 2 900 ms, not before.
    await clock.advance(899);
    expect(runs.started).toEqual([]);
    await clock.advance(1);
    expect(runs.started).toEqual(['a']);
    await runs.finish('a');
    await clock.advance(60_000);
    expect(runs.started).toEqual(['a']);
  });

  it('starts a tenant fed without pause at the latest maxWaitMs after the first request', async () => {
    const { clock, runs, scheduler } = setup({ debounceMs: 1_000, maxWaitMs: 3_000 });
    for (let i = 0; i < 10; i += 1) {
      scheduler.request('a');
      await clock.advance(500);
      if (clock.now < 3_000) expect(runs.started).toEqual([]);
    }
    expect(runs.started).toEqual(['a']);
  });

  it('never runs one tenant twice at once: a request during its run schedules one more run after it', async () => {
    const { clock, runs, scheduler } = setup({ debounceMs: 100 });
    scheduler.request('a');
    await clock.advance(100);
    expect(runs.running()).toEqual(['a']);
    scheduler.request('a');
    scheduler.request('a');
    await clock.advance(1_000);
    expect(runs.started).toEqual(['a']);
    await runs.finish('a');
    await clock.advance(100);
    expect(runs.started).toEqual(['a', 'a']);
  });

  it('keeps to the concurrency limit and serves due tenants oldest first, a busy tenant behind the others', async () => {
    const { clock, runs, scheduler } = setup({ debounceMs: 100, concurrency: 1 });
    scheduler.request('big');
    await clock.advance(100);
    expect(runs.running()).toEqual(['big']);
    scheduler.request('small-1');
    await clock.advance(10);
    scheduler.request('small-2');
    await clock.advance(10);
    scheduler.request('big'); // more data for the big tenant while it runs
    await clock.advance(200);
    expect(scheduler.queuedTenants()).toEqual(['small-1', 'small-2']);

    await runs.finish('big');
    await clock.advance(100); // big's next run becomes due now, behind the two waiting
    expect(scheduler.queuedTenants()).toEqual(['small-2', 'big']);
    await runs.finish('small-1');
    await runs.finish('small-2');
    await runs.finish('big');
    expect(runs.started).toEqual(['big', 'small-1', 'small-2', 'big']);
  });

  it('schedules the tenant again when a run reports work left, and survives a failing run', async () => {
    const { clock, runs, scheduler, errors } = setup({ debounceMs: 100 });
    scheduler.request('a');
    await clock.advance(100);
    await runs.finish('a', true);
    await clock.advance(100);
    expect(runs.started).toEqual(['a', 'a']);

    const failing = new TenantRunScheduler({
      debounceMs: 0,
      maxWaitMs: 1,
      concurrency: 1,
      run: async (tenant) => {
        if (tenant === 'bad') throw new Error('boom');
        return { more: false };
      },
      onError: (_tenant, error) => errors.push(error),
    });
    failing.request('bad');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((errors[0] as Error).message).toBe('boom');
    expect(failing.runningCount()).toBe(0);
    await failing.stop();
  });
});
