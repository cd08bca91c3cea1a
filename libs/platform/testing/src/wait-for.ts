export interface WaitForOptions {
  /** What is awaited, as it should read in the timeout error: "api /readyz to answer 200". */
  description: string;
  timeoutMs?: number;
  intervalMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns true. A check that throws counts as "not yet" (a server that still
 * refuses connections); its last error is quoted if the wait times out. A check that hangs does not
 * stretch the timeout.
 */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  { description, timeoutMs = 10_000, intervalMs = 100 }: WaitForOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed-out'>((resolve) => {
      timer = setTimeout(() => resolve('timed-out'), Math.max(remaining, 0));
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(check), timedOut]);
      if (outcome === true) return;
      if (outcome === false) lastError = undefined;
    } catch (error) {
      lastError = error;
    } finally {
      clearTimeout(timer);
    }
    if (Date.now() >= deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    }
    await sleep(Math.min(intervalMs, Math.max(deadline - Date.now(), 0)));
  }
}
