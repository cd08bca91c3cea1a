import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { assertSingleAuthorizationHeader, DomainError } from '@pulse/errors';
import { API_ROUTE_METADATA, type ApiRouteDoc } from '@pulse/service-runtime';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from '../config/tenant-registry.config';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Every route needs the operator token unless its @ApiRoute marks it public (health, the OpenAPI
 * document): a new route is protected by default, and its documentation says which it is.
 */
@Injectable()
export class OperatorAuthGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(
    private readonly reflector: Reflector,
    @Inject(TENANT_REGISTRY_CONFIG) config: TenantRegistryConfig,
  ) {
    this.expected = digest(config.operatorToken.reveal());
  }

  canActivate(context: ExecutionContext): boolean {
    const doc = this.reflector.get<ApiRouteDoc | undefined>(API_ROUTE_METADATA, context.getHandler());
    if (doc?.public) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // Two tokens are refused (400), never "the first one wins", as on the api.
    assertSingleAuthorizationHeader(request.raw.rawHeaders, context.switchToHttp().getResponse<FastifyReply>());
    const token = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token) throw new DomainError('unauthenticated', 'auth.missing_token', 'Send the operator token as "Authorization: Bearer <token>".');
    // Equal-length digests compared in constant time: the check leaks neither content nor length.
    if (!timingSafeEqual(digest(token), this.expected)) throw new DomainError('unauthenticated', 'auth.invalid_token', 'The operator token is not valid.');
    return true;
  }
}
