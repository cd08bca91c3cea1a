import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TenancyModule } from '../tenancy/tenancy.module';
import { fastifyConventionsProvider } from './fastify-conventions';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyStore } from './idempotency/idempotency-store';
import { RateLimitInterceptor } from './rate-limit/rate-limit.interceptor';
import { TenantRateLimiter } from './rate-limit/tenant-rate-limiter';

/**
 * The public API's HTTP conventions: per-tenant rate limits, Idempotency-Key, ETag/304 and compression.
 * The interceptors are global and ordered: a request is counted against its rate limit before an
 * idempotency record is looked up.
 */
@Module({
  imports: [TenancyModule],
  providers: [
    fastifyConventionsProvider,
    TenantRateLimiter,
    IdempotencyStore,
    { provide: APP_INTERCEPTOR, useClass: RateLimitInterceptor },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
})
export class HttpConventionsModule {}
