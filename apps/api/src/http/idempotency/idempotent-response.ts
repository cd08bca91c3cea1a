import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { TenantDatabaseClient } from '@pulse/tenancy';
import type { IdempotencyLease, IdempotencyStore } from './idempotency-store';

/**
 * The response of a request that claimed an Idempotency-Key, for its use case to record in the
 * transaction that does the work (`recordIn`). Recorded after the commit instead, a response is lost
 * with the connection that lost the commit's answer, and the client's retry ran the work a second time;
 * recorded with the work, the retry gets it replayed. Routes whose work is not one transaction leave it
 * to the interceptor, which records the response once the handler has returned.
 */
export class IdempotentResponse {
  private recordedInTransaction = false;

  constructor(
    private readonly store: IdempotencyStore,
    readonly key: string,
    readonly lease: IdempotencyLease,
    private readonly status: number,
  ) {}

  get recorded(): boolean {
    return this.recordedInTransaction;
  }

  async recordIn(db: TenantDatabaseClient, body: unknown): Promise<void> {
    await this.store.completeIn(db, this.key, this.lease, this.status, body);
    this.recordedInTransaction = true;
  }
}

/** Where the interceptor leaves a claimed key's IdempotentResponse on the request. */
export const IDEMPOTENT_RESPONSE = Symbol('pulse.idempotentResponse');

/** The request's IdempotentResponse, or undefined when it came without an Idempotency-Key. */
export const IdempotencyOf = createParamDecorator((_data: unknown, context: ExecutionContext): IdempotentResponse | undefined => {
  const request = context.switchToHttp().getRequest<Record<symbol, IdempotentResponse | undefined>>();
  return request[IDEMPOTENT_RESPONSE];
});
