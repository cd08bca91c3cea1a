import { DomainError, ValidationError } from '@pulse/errors';
import { decideOnFailure } from './failure-decision';

describe('decideOnFailure', () => {
  it('retries outages and unexpected errors while attempts remain', () => {
    expect(decideOnFailure(new Error('connection reset'), 1, 5)).toEqual({ action: 'retry' });
    expect(decideOnFailure(new DomainError('unavailable', 'warehouse_down', 'busy'), 4, 5)).toEqual({ action: 'retry' });
  });

  it('dead-letters on the last allowed attempt with the last error', () => {
    expect(decideOnFailure(new Error('connection reset'), 5, 5)).toEqual({
      action: 'dead-letter',
      reason: 'failed 5 deliveries; last error: connection reset',
    });
  });

  it('dead-letters at once what can never succeed', () => {
    expect(decideOnFailure(new ValidationError([]), 1, 5)).toEqual({
      action: 'dead-letter',
      reason: 'not retryable: validation_failed: The request has 0 invalid fields.',
    });
  });

  it('keeps retrying when the subscription cannot count attempts (no dead-letter policy)', () => {
    expect(decideOnFailure(new Error('x'), 0, 5)).toEqual({ action: 'retry' });
  });
});
