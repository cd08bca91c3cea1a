/** A subscription's `retryPolicy`, in milliseconds. */
export interface RetryBackoff {
  readonly minimumMs: number;
  readonly maximumMs: number;
}

/**
 * How long a message waits before redelivery after its `failedDeliveries`-th nack or expired deadline.
 * Follows the documented service behaviour: the first failure waits `minimum`, each further one doubles
 * the wait, capped at `maximum`. (The SDK emulator 0.8.20 redelivers after the first failure at once and
 * starts waiting from the second.)
 */
export function retryDelayMs(backoff: RetryBackoff, failedDeliveries: number): number {
  if (failedDeliveries < 1) return 0;
  const doubled = backoff.minimumMs * 2 ** Math.min(failedDeliveries - 1, 30);
  return Math.min(backoff.maximumMs, doubled);
}
