import { KeyedMutex } from './keyed-mutex';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('KeyedMutex', () => {
  it('runs work for one key one at a time, in call order, and other keys alongside', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const gate = deferred();
    const first = mutex.run('a', async () => {
      events.push('a1 start');
      await gate.promise;
      events.push('a1 end');
    });
    const second = mutex.run('a', async () => {
      events.push('a2');
    });
    const other = mutex.run('b', async () => {
      events.push('b1');
    });
    await other;
    expect(events).toEqual(['a1 start', 'b1']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(events).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('passes results and errors to the caller, and a failure does not block the next task', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(mutex.run('a', async () => 42)).resolves.toBe(42);
  });

  it('reports a key busy only while it has queued work', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const running = mutex.run('a', () => gate.promise);
    expect(mutex.isBusy('a')).toBe(true);
    gate.resolve();
    await running;
    await new Promise((resolve) => setImmediate(resolve));
    expect(mutex.isBusy('a')).toBe(false);
  });
});
