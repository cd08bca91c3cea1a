import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { DomainError, ValidationError } from '@pulse/errors';
import type { PinoLogger } from 'nestjs-pino';
import { lastValueFrom, throwError } from 'rxjs';
import type { IdempotencyStore } from './idempotency-store';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/** A POST with an Idempotency-Key, as the interceptor sees it. */
function postWithKey(): ExecutionContext {
  const request = { method: 'POST', url: '/v1/metrics/refresh', body: {}, headers: { 'idempotency-key': 'k-1' }, tenant: { tenantId: 't-1', slug: 'acme' } };
  const reply = { header: () => reply };
  return {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
    getHandler: () => function handler() {},
  } as unknown as ExecutionContext;
}

describe('IdempotencyInterceptor', () => {
  it("answers a failed request with its own error when releasing its key fails too, and logs the release's", async () => {
    const releaseError = Object.assign(new Error('Connection terminated unexpectedly'), {});
    const store = {
      claim: async () => ({ outcome: 'claimed', lease: 'lease-1' }),
      release: async () => Promise.reject(releaseError),
      complete: async () => undefined,
    } as unknown as IdempotencyStore;
    const warnings: unknown[] = [];
    const logger = { warn: (fields: unknown) => warnings.push(fields) } as unknown as PinoLogger;
    const handlerError = new ValidationError([{ field: 'body.asOf', code: 'out_of_range', message: 'too far' }]);
    const next: CallHandler = { handle: () => throwError(() => handlerError) };

    const answer = lastValueFrom(new IdempotencyInterceptor(store, logger).intercept(postWithKey(), next));
    // Before: the release's error replaced it, so a 400 became a 503.
    await expect(answer).rejects.toBe(handlerError);
    expect(warnings).toEqual([expect.objectContaining({ err: releaseError, idempotencyKey: 'k-1' })]);
  });

  it('releases the key of a failed request so that a retry runs again', async () => {
    const released: string[] = [];
    const store = {
      claim: async () => ({ outcome: 'claimed', lease: 'lease-1' }),
      release: async (_tenant: unknown, key: string) => void released.push(key),
    } as unknown as IdempotencyStore;
    const failure = new DomainError('conflict', 'source.name_taken', 'taken');
    const next: CallHandler = { handle: () => throwError(() => failure) };
    await expect(lastValueFrom(new IdempotencyInterceptor(store, {} as PinoLogger).intercept(postWithKey(), next))).rejects.toBe(failure);
    expect(released).toEqual(['k-1']);
  });
});
