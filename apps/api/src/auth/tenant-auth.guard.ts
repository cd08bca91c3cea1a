import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { assertSingleAuthorizationHeader, DomainError } from '@pulse/errors';
import { API_ROUTE_METADATA, assignRequestLogFields, type ApiRouteDoc } from '@pulse/service-runtime';
import { createTenantContext, normalizeHost, TenantResolver, type TenantContext } from '@pulse/tenancy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_CONFIG, type ApiConfig } from '../config/api.config';

/**
 * `tenantPlan` (the key's tenant's plan) sets the tenant's rate limits; `tenantScopes` (the key's) what it
 * may do. `tenantRoute`: the route needs a key (set before the key is looked at, so refusals have it too),
 * which makes its answer private (privateResponseHook).
 */
export type TenantRequest = FastifyRequest & {
  tenantRoute?: true;
  /** The hosts the request claims to be for (normalised), checked against the key's tenant by TenantHostGuard. */
  claimedHosts?: readonly string[];
  tenant?: TenantContext;
  tenantPlan?: string;
  tenantCurrency?: string;
  tenantTimezone?: string;
  tenantScopes?: readonly string[];
};

/**
 * Every route is tenant-authenticated unless its @ApiRoute marks it public (health, docs): the guard is
 * global, so a new route cannot be added without it by accident. The API key names the tenant; a
 * tenant host name (`<slug>.<base domain>` or a custom hostname) must name the same one (TenantHostGuard,
 * after the rate limit); a dedicated api workload serves its own tenant only.
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
    // Before the key: RFC 9112 makes these 400 whoever asks, and they cost no lookup.
    const hosts = claimedHosts(request);
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token) throw new DomainError('unauthenticated', 'auth.missing_api_key', 'Send your API key as "Authorization: Bearer <key>".');

    const key = await this.resolver.resolveApiKey(token);
    // Whose the hosts are is TenantHostGuard's to check, after the rate limit has counted the request: a
    // host no tenant's cache knows costs a control-plane lookup, which a key holder must not get for free.
    request.claimedHosts = hosts;
    const dedicated = this.config.tenancy.dedicatedTenant;
    if (dedicated && key.slug !== dedicated) {
      throw new DomainError('forbidden', 'auth.tenant_not_served_here', `This endpoint serves tenant "${dedicated}" only.`);
    }

    request.tenant = createTenantContext({ tenantId: key.tenantId, slug: key.slug, correlationId: String(request.id) });
    request.tenantPlan = key.plan;
    request.tenantCurrency = key.currency;
    request.tenantTimezone = key.timezone;
    request.tenantScopes = key.scopes;
    assignRequestLogFields(request, { tenantId: key.tenantId });
    return true;
  }
}

/** The most hosts X-Forwarded-Host, or the `host=` of Forwarded, may name: one per proxy that sets it, and a few proxies. */
const MAX_FORWARDED_HOSTS = 5;

const invalidHost = (message: string) => new DomainError('invalid_input', 'invalid_host', message);

/**
 * Every host the request claims to be for, normalised (normalizeHost): the Host header (which Google's
 * load balancer passes on as the client sent it), any X-Forwarded-Host, the `host=` of any RFC 7239
 * Forwarded element (the standard header other proxies route by), and the authority of an absolute-form
 * request target (`GET http://<host>/v1/... HTTP/1.1`, which RFC 9112 says a server must use instead of
 * Host, so a proxy may route by it). Each must be no tenant's or the key's tenant's. Checking only
 * Fastify's `request.hostname`, which prefers X-Forwarded-Host behind a trusted proxy, let a client add
 * `X-Forwarded-Host: <the bare API host>` to use its key on another tenant's host; checking only the
 * headers let it name another tenant's host in the request line.
 *
 * 400 `invalid_host`, before anything is looked up: more than one Host header (RFC 9112 3.2: Node keeps
 * the first, a proxy may route by another), a value that is no valid host[:port] (which would otherwise
 * pass for the bare API host), or more than MAX_FORWARDED_HOSTS in X-Forwarded-Host or Forwarded (each
 * host a request names may cost a control-plane lookup, before the rate limit counts the request).
 */
function claimedHosts(request: TenantRequest): string[] {
  if (headerLineCount(request.raw.rawHeaders, 'host') > 1) throw invalidHost('Send one Host header, not several (RFC 9112, 3.2).');
  const forwardedHost = headerValues(request.headers['x-forwarded-host'])
    .flatMap((value) => value.split(','))
    .map((host) => host.trim())
    .filter(Boolean);
  const forwarded = headerValues(request.headers.forwarded)
    .flatMap(forwardedHosts)
    .map((host) => host.trim())
    .filter(Boolean);
  for (const [header, hosts] of [
    ['X-Forwarded-Host', forwardedHost],
    ['Forwarded', forwarded],
  ] as const) {
    if (hosts.length > MAX_FORWARDED_HOSTS) throw invalidHost(`${header} names ${hosts.length} hosts; at most ${MAX_FORWARDED_HOSTS} are taken.`);
  }
  const host = request.headers.host?.trim();
  const target = requestTargetAuthority(request.raw.url);
  const named: Array<readonly [string, string]> = [
    ...(host ? [['Host', host] as const] : []),
    ...forwardedHost.map((value) => ['X-Forwarded-Host', value] as const),
    ...forwarded.map((value) => ['Forwarded host', value] as const),
    ...(target !== undefined ? [['The request target\'s host', target] as const] : []),
  ];
  return [...new Set(named.map(([source, value]) => normalizeHost(value, source)))];
}

/** How many header lines named `name` (lower case) the request has (`rawHeaders`: name, value, name, ... as sent). */
function headerLineCount(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if ((rawHeaders[i] as string).toLowerCase() === name) count++;
  return count;
}

function headerValues(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The `host=` values of a Forwarded header (`for=1.2.3.4;host=acme.example;proto=https, host="b.example"`). */
function forwardedHosts(header: string): string[] {
  return [...header.matchAll(/(?:^|[;,])\s*host\s*=\s*(?:"([^"]*)"|([^;,\s]*))/gi)].map((match) => match[1] ?? match[2] ?? '');
}

/** RFC 3986 3.2.1: what a userinfo may hold. */
const USERINFO = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*$/;

/**
 * The host (and port) of an absolute-form request target, without its userinfo; undefined for
 * origin-form (`/path`). A userinfo RFC 3986 does not allow is 400 rather than read past: parsers
 * disagree on where such an authority ends, so a proxy might route by another host than this one.
 */
function requestTargetAuthority(target: string | undefined): string | undefined {
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(target ?? '')?.[1];
  if (authority === undefined) return undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0 && !USERINFO.test(authority.slice(0, at))) throw invalidHost("The request target's authority is not valid (RFC 3986, 3.2).");
  return authority.slice(at + 1);
}
