import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { DomainError } from '@pulse/errors';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import type { TenantRequest } from '../../auth/tenant-auth.guard';
import { TenantRateLimiter } from './tenant-rate-limiter';

/**
 * Counts every authenticated request against its tenant's bucket. An interceptor rather than a guard so
 * it runs after TenantAuthGuard has named the tenant; the headers are set before the handler, so they
 * are on every tenant response, errors included. Public routes (no tenant) are not limited here.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  constructor(private readonly limiter: TenantRateLimiter) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<TenantRequest>();
    if (!request.tenant) return next.handle();

    const decision = this.limiter.take(request.tenant.tenantId, request.tenantPlan);
    const reply = http.getResponse<FastifyReply>();
    void reply.header('ratelimit-limit', decision.limit);
    void reply.header('ratelimit-remaining', decision.remaining);
    void reply.header('ratelimit-reset', decision.resetSeconds);
    if (!decision.allowed) {
      void reply.header('retry-after', decision.retryAfterSeconds);
      throw new DomainError('rate_limited', 'rate_limited', `Too many requests for this tenant: retry in ${decision.retryAfterSeconds} s.`);
    }
    return next.handle();
  }
}
