import { DomainError } from '@pulse/errors';

export type FailureDecision = { action: 'retry' } | { action: 'dead-letter'; reason: string };

function describe(error: unknown): string {
  if (error instanceof DomainError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * What to do with a message whose handler failed. A domain error that is not retryable (bad input, a
 * missing tenant) will fail the same way every time: dead-letter now. Anything else (outages, bugs that a
 * deploy may fix) is retried with the subscription's backoff, until the last allowed attempt.
 */
export function decideOnFailure(error: unknown, deliveryAttempt: number, maxDeliveryAttempts: number): FailureDecision {
  if (error instanceof DomainError && !error.retryable) {
    return { action: 'dead-letter', reason: `not retryable: ${describe(error)}` };
  }
  if (deliveryAttempt >= maxDeliveryAttempts) {
    return { action: 'dead-letter', reason: `failed ${deliveryAttempt} deliveries; last error: ${describe(error)}` };
  }
  return { action: 'retry' };
}
