import { awaitPublishBriefly } from './outbox-writer';

const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('awaitPublishBriefly', () => {
  it('returns when the publish does, well before the wait is over', async () => {
    const started = Date.now();
    await awaitPublishBriefly(after(5).then(() => undefined), () => undefined, 5_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops waiting for a publish that hangs, and still reports its late failure', async () => {
    let fail: (error: Error) => void = () => undefined;
    const hanging = new Promise<void>((_, reject) => (fail = reject));
    const failures: unknown[] = [];

    await awaitPublishBriefly(hanging, (error) => failures.push(error), 20);
    expect(failures).toEqual([]);

    fail(new Error('no answer from Pub/Sub'));
    await after(0);
    expect(failures).toEqual([new Error('no answer from Pub/Sub')]);
  });

  it('reports a failed publish instead of throwing it', async () => {
    const failures: unknown[] = [];
    await expect(awaitPublishBriefly(Promise.reject(new Error('topic not found')), (error) => failures.push(error), 1_000)).resolves.toBeUndefined();
    expect(failures).toEqual([new Error('topic not found')]);
  });
});
