import { PermitTimeoutError, Semaphore } from './semaphore';

describe('Semaphore', () => {
  it('hands out at most `capacity` permits and passes a freed one to the first waiter', async () => {
    const semaphore = new Semaphore(2);
    const first = await semaphore.acquire(1_000);
    const second = await semaphore.acquire(1_000);
    const order: string[] = [];
    const third = semaphore.acquire(1_000).then((release) => (order.push('third'), release));
    const fourth = semaphore.acquire(1_000).then((release) => (order.push('fourth'), release));
    expect(semaphore.inUse).toBe(2);
    expect(semaphore.waiting).toBe(2);

    first();
    first(); // releasing twice gives back one permit only
    const thirdRelease = await third;
    expect(order).toEqual(['third']);
    expect(semaphore.inUse).toBe(2);
    expect(semaphore.waiting).toBe(1);

    second();
    (await fourth)();
    thirdRelease();
    expect(semaphore.inUse).toBe(0);
    expect(order).toEqual(['third', 'fourth']);
  });

  it('does not let tryAcquire jump the queue', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    const waiter = semaphore.acquire(1_000);
    held();
    expect(semaphore.tryAcquire()).toBeUndefined();
    (await waiter)();
    expect(semaphore.tryAcquire()).toBeDefined();
  });

  it('gives up after the timeout and leaves the queue', async () => {
    const semaphore = new Semaphore(1);
    const held = semaphore.tryAcquire()!;
    await expect(semaphore.acquire(20)).rejects.toBeInstanceOf(PermitTimeoutError);
    expect(semaphore.waiting).toBe(0);
    held();
    expect(semaphore.inUse).toBe(0);
  });

  it('tells its owner each time someone has to wait', () => {
    const onQueued = jest.fn();
    const semaphore = new Semaphore(1, onQueued);
    semaphore.tryAcquire();
    void semaphore.acquire(10).catch(() => undefined);
    void semaphore.acquire(10).catch(() => undefined);
    expect(onQueued).toHaveBeenCalledTimes(2);
  });

  it('rejects a capacity below one', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
