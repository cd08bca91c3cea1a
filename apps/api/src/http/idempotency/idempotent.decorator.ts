import { SetMetadata } from '@nestjs/common';

export const IDEMPOTENT_METADATA = 'pulse:idempotent';

/**
 * Marks a POST that creates work: an `Idempotency-Key` header makes retries of it safe (the first
 * response is replayed). Without the header the route behaves as usual.
 */
export const Idempotent = () => SetMetadata(IDEMPOTENT_METADATA, true);
