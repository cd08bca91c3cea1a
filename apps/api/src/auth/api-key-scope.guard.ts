import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DomainError } from '@pulse/errors';
import type { FastifyReply } from 'fastify';
import type { TenantRequest } from './tenant-auth.guard';

/** The scopes the registry issues keys with (libs/contracts issueApiKeyRequestSchema). */
export type ApiKeyScope = 'read' | 'write';

/** Reading (GET, and the HEAD Fastify answers for it) needs `read`; anything that may change data, `write`. */
export function scopeRequiredFor(method: string): ApiKeyScope {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

/**
 * Refuses a request its API key's scopes do not cover: 403 `auth.insufficient_scope` naming the scope,
 * with the RFC 6750 challenge. A global guard registered after RateLimitGuard, so the refusal carries
 * the tenant's rate-limit headers and counts against its bucket like any other authenticated request,
 * and before the guards that look at the request's body and query: a read-only key learns nothing about
 * a write route's input. Public routes (no tenant) need no scope.
 */
@Injectable()
export class ApiKeyScopeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<TenantRequest>();
    const scopes = request.tenantScopes;
    if (!scopes) return true;
    const scope = scopeRequiredFor(request.method);
    if (scopes.includes(scope)) return true;
    void context.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', `Bearer error="insufficient_scope", scope="${scope}"`);
    throw new DomainError('forbidden', 'auth.insufficient_scope', `This API key lacks the "${scope}" scope, which ${request.method} requests need.`);
  }
}
