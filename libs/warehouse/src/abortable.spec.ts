import { stoppedOnAbort } from './abortable';

describe('stoppedOnAbort', () => {
  const reason = new Error('shutting down');

  it('returns what the work returns when nothing aborts, and stops nothing', async () => {
    const stop = jest.fn();
    await expect(stoppedOnAbort(new AbortController().signal, stop, async () => 42)).resolves.toBe(42);
    await expect(stoppedOnAbort(undefined, stop, async () => 43)).resolves.toBe(43);
    expect(stop).not.toHaveBeenCalled();
  });

  it('does not start the work once the signal has aborted', async () => {
    const controller = new AbortController();
    controller.abort(reason);
    const work = jest.fn(async () => 1);
    await expect(stoppedOnAbort(controller.signal, jest.fn(), work)).rejects.toBe(reason);
    expect(work).not.toHaveBeenCalled();
  });

  it('stops the work when the signal aborts, waits for it to end, and rejects with the reason', async () => {
    const controller = new AbortController();
    let ended = false;
    let finish!: (error: Error) => void;
    const work = () =>
      new Promise<number>((_resolve, reject) => {
        finish = (error) => {
          ended = true;
          reject(error);
        };
      });
    const stop = jest.fn(() => finish(new Error('INTERRUPT Error: Interrupted!')));
    const running = stoppedOnAbort(controller.signal, stop, work);
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(ended).toBe(true);
  });

  it('rejects with the reason even when the work finished in spite of the abort', async () => {
    const controller = new AbortController();
    const running = stoppedOnAbort(controller.signal, () => undefined, async () => {
      controller.abort(reason);
      return 'done anyway';
    });
    await expect(running).rejects.toBe(reason);
  });

  it("passes the work's own failure through, and no longer stops anything once it has ended", async () => {
    const controller = new AbortController();
    const stop = jest.fn();
    const failure = new Error('syntax error');
    await expect(stoppedOnAbort(controller.signal, stop, async () => Promise.reject(failure))).rejects.toBe(failure);
    controller.abort(reason);
    expect(stop).not.toHaveBeenCalled();
  });
});
