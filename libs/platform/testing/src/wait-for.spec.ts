import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('resolves as soon as the check passes', async () => {
    let calls = 0;
    await waitFor(async () => ++calls === 3, { description: 'the third call', intervalMs: 1 });
    expect(calls).toBe(3);
  });

  it('accepts a synchronous check', async () => {
    await expect(waitFor(() => true, { description: 'nothing' })).resolves.toBeUndefined();
  });

  it('throws with the description once the timeout has passed', async () => {
    let calls = 0;
    const started = Date.now();
    await expect(
      waitFor(
        async () => {
          calls += 1;
          return false;
        },
        { description: 'the api to become ready', timeoutMs: 60, intervalMs: 10 },
      ),
    ).rejects.toThrow('Timed out after 60 ms waiting for the api to become ready');
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(calls).toBeGreaterThan(1);
  });

  it('treats a throwing check as not yet, and quotes its last error on timeout', async () => {
    await expect(
      waitFor(
        async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:3000');
        },
        { description: 'port 3000', timeoutMs: 30, intervalMs: 5 },
      ),
    ).rejects.toThrow('waiting for port 3000 (last error: connect ECONNREFUSED 127.0.0.1:3000)');
  });

  it('recovers when a check that threw later passes', async () => {
    let calls = 0;
    await waitFor(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('not yet');
        return true;
      },
      { description: 'recovery', intervalMs: 1 },
    );
    expect(calls).toBe(3);
  });

  it('does not let a hanging check stretch the timeout', async () => {
    const started = Date.now();
    await expect(
      waitFor(() => new Promise<boolean>(() => undefined), { description: 'a check that never answers', timeoutMs: 50 }),
    ).rejects.toThrow('Timed out after 50 ms waiting for a check that never answers');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
