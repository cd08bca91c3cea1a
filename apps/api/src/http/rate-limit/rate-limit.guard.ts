import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DomainError } from '@pulse/errors';
import type { FastifyReply } from 'fastify';
import type { TenantRequest } from '../../auth/tenant-auth.guard';
import { TenantRateLimiter } from './tenant-rate-limiter';

/**
 * Counts every authenticated request against its tenant's bucket. A global guard registered right after
 * TenantAuthGuard (guards run in order), so the tenant is known; the headers are set before the handler,
 * so they are on every tenant response, errors included. Public routes (no tenant) are not limited.
 * A guard rather than an interceptor: interceptors put every request through an RxJS pipeline, which
 * the benchmark showed as a visible share of a read's CPU time (docs/benchmarks.md).
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(private readonly limiter: TenantRateLimiter) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<TenantRequest>();
    if (!request.tenant) return true;

    const decision = this.limiter.take(request.tenant.tenantId, request.tenantPlan);
    const reply = http.getResponse<FastifyReply>();
    void reply.header('ratelimit-limit', decision.limit);
    void reply.header('ratelimit-remaining', decision.remaining);
    void reply.header('ratelimit-reset', decision.resetSeconds);
    if (!decision.allowed) {
      void reply.header('retry-after', decision.retryAfterSeconds);
      throw new DomainError('rate_limited', 'rate_limited', `Too many requests for this tenant: retry in ${decision.retryAfterSeconds} s.`);
    }
    return true;
  }
}
