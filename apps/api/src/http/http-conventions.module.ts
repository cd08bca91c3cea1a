import { Global, Module } from '@nestjs/common';
import { TenancyModule } from '../tenancy/tenancy.module';
import { fastifyConventionsProvider } from './fastify-conventions';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyStore } from './idempotency/idempotency-store';
import { ReplicaHeartbeat } from './rate-limit/replica-heartbeat';
import { TenantRateLimiter } from './rate-limit/tenant-rate-limiter';

/**
 * The public API's HTTP conventions: per-tenant rate limits (RateLimitGuard, registered as a global guard
 * after TenantAuthGuard in AppModule; ReplicaHeartbeat shares them among the live replicas),
 * Idempotency-Key (on @Idempotent routes; guards run before interceptors, so a request is counted against
 * its rate limit before an idempotency record is looked up), ETag/304 and compression. Global: the guard and @Idempotent's interceptor are instantiated in
 * whichever feature module uses them.
 */
@Global()
@Module({
  imports: [TenancyModule],
  providers: [
    fastifyConventionsProvider,
    TenantRateLimiter,
    ReplicaHeartbeat,
    IdempotencyStore,
    IdempotencyInterceptor,
  ],
  exports: [TenantRateLimiter, IdempotencyStore, IdempotencyInterceptor],
})
export class HttpConventionsModule {}
