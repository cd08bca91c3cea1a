import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { IdempotencyInterceptor } from './idempotency.interceptor';

export const IDEMPOTENT_METADATA = 'pulse:idempotent';

/**
 * Marks a POST that creates work: an `Idempotency-Key` header makes retries of it safe (the first
 * response is replayed). Without the header the route behaves as usual. The interceptor is attached to
 * the marked routes only, so reads never pay for it.
 */
export const Idempotent = () => applyDecorators(SetMetadata(IDEMPOTENT_METADATA, true), UseInterceptors(IdempotencyInterceptor));
