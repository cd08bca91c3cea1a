import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { assertSingleAuthorizationHeader, DomainError } from '@pulse/errors';
import { API_ROUTE_METADATA, assignRequestLogFields, type ApiRouteDoc } from '@pulse/service-runtime';
import { createTenantContext, TenantResolver, type TenantContext } from '@pulse/tenancy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_CONFIG, type ApiConfig } from '../config/api.config';

/**
 * `tenantPlan` (the key's tenant's plan) sets the tenant's rate limits; `tenantScopes` (the key's) what it
 * may do. `tenantRoute`: the route needs a key (set before the key is looked at, so refusals have it too),
 * which makes its answer private (privateResponseHook).
 */
export type TenantRequest = FastifyRequest & {
  tenantRoute?: true;
  tenant?: TenantContext;
  tenantPlan?: string;
  tenantCurrency?: string;
  tenantTimezone?: string;
  tenantScopes?: readonly string[];
};

/**
 * Every route is tenant-authenticated unless its @ApiRoute marks it public (health, docs): the guard is
 * global, so a new route cannot be added without it by accident. The API key names the tenant; a
 * tenant host name (`<slug>.<base domain>` or a custom hostname) must name the same one; a dedicated api
 * workload serves its own tenant only.
 */
@Injectable()
export class TenantAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolver: TenantResolver,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const doc = this.reflector.get<ApiRouteDoc | undefined>(API_ROUTE_METADATA, context.getHandler());
    if (doc?.public) return true;

    const request = context.switchToHttp().getRequest<TenantRequest>();
    request.tenantRoute = true;
    assertSingleAuthorizationHeader(request.raw.rawHeaders, context.switchToHttp().getResponse<FastifyReply>());
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token) throw new DomainError('unauthenticated', 'auth.missing_api_key', 'Send your API key as "Authorization: Bearer <key>".');

    const key = await this.resolver.resolveApiKey(token);
    for (const host of claimedHosts(request)) {
      // Whose host it is, not whether that tenant is live (nor whether it exists): none of this caller's business.
      if (!(await this.resolver.hostAdmits(host, key.tenantId))) {
        throw new DomainError('forbidden', 'auth.host_mismatch', `This API key does not belong to the tenant of ${host}.`);
      }
    }
    const dedicated = this.config.tenancy.dedicatedTenant;
    if (dedicated && key.slug !== dedicated) {
      throw new DomainError('forbidden', 'auth.tenant_not_served_here', `This endpoint serves tenant "${dedicated}" only.`);
    }

    request.tenant = createTenantContext({ tenantId: key.tenantId, slug: key.slug, correlationId: String(request.id) });
    request.tenantPlan = key.plan;
    request.tenantCurrency = key.currency;
    request.tenantTimezone = key.timezone;
    request.tenantScopes = key.scopes;
    assignRequestLogFields({ tenantId: key.tenantId });
    return true;
  }
}

/**
 * Every host the request claims to be for: the Host header (which Google's load balancer passes on as
 * the client sent it), any X-Forwarded-Host, the `host=` of any RFC 7239 Forwarded element (the standard
 * header other proxies route by), and the authority of an absolute-form request target
 * (`GET http://<host>/v1/... HTTP/1.1`, which RFC 9112 says a server must use instead of Host, so a proxy
 * may route by it). Each must be no tenant's or the key's tenant's. Checking only Fastify's
 * `request.hostname`, which prefers X-Forwarded-Host behind a trusted proxy, let a client add
 * `X-Forwarded-Host: <the bare API host>` to use its key on another tenant's host; checking only the
 * headers let it name another tenant's host in the request line.
 */
function claimedHosts(request: TenantRequest): string[] {
  const hosts = [
    request.headers.host,
    ...headerValues(request.headers['x-forwarded-host']).flatMap((value) => value.split(',')),
    ...headerValues(request.headers.forwarded).flatMap(forwardedHosts),
    requestTargetAuthority(request.raw.url),
  ];
  return [...new Set(hosts.map((host) => host?.trim()).filter((host): host is string => Boolean(host)))];
}

function headerValues(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The `host=` values of a Forwarded header (`for=1.2.3.4;host=acme.example;proto=https, host="b.example"`). */
function forwardedHosts(header: string): string[] {
  return [...header.matchAll(/(?:^|[;,])\s*host\s*=\s*(?:"([^"]*)"|([^;,\s]*))/gi)].map((match) => match[1] ?? match[2] ?? '');
}

/** The host (and port) of an absolute-form request target, without any userinfo; undefined for origin-form (`/path`). */
function requestTargetAuthority(target: string | undefined): string | undefined {
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(target ?? '')?.[1];
  return authority?.slice(authority.lastIndexOf('@') + 1);
}
