/**
 * Runs `work`, calling `stop` if `signal` aborts meanwhile, and waits for `work` to settle: the caller's
 * connection is free again when this returns. Once the signal has aborted, whatever `work` ended with
 * (the engine's own "interrupted" error, or a result it finished just in time) gives way to the signal's
 * reason, so the caller sees one error for an interruption whatever the engine says.
 */
export async function stoppedOnAbort<T>(signal: AbortSignal | undefined, stop: () => void, work: () => Promise<T>): Promise<T> {
  if (signal === undefined) return work();
  signal.throwIfAborted();
  signal.addEventListener('abort', stop, { once: true });
  try {
    const result = await work();
    signal.throwIfAborted();
    return result;
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
