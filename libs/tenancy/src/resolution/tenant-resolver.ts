import { DomainError } from '@pulse/errors';
import { isReservedSlug } from '@pulse/contracts';
import type { Pool } from 'pg';
import { apiKeySecretMatches, parseApiKey } from '../api-keys/api-key';
import { ExpiringSet } from './expiring-set';
import { normalizeHost } from './host-name';

export interface ResolvedTenant {
  tenantId: string;
  slug: string;
  plan: string;
  /** ISO 4217 code of the tenant's money amounts (tenant setting `currency`, default USD). */
  currency: string;
  /**
   * The tenant setting `timezone` as stored (an IANA name where the KPIs cut days; default UTC). Not
   * validated here: a reader that needs it checks it as the metrics service does.
   */
  timezone: string;
}

export interface ResolvedApiKey extends ResolvedTenant {
  keyId: string;
  /**
   * What the key may do, as the registry issued it: `read` (GET/HEAD) and `write` (everything else).
   * Cached with the rest of the key; a key stored without scopes (NULL) has none, so it can do nothing.
   */
  scopes: readonly string[];
}

interface KeyRow extends TenantRow {
  key_id: string;
  secret_hash: string;
  scopes: string[];
  revoked_at: Date | null;
}

const DEFAULT_CURRENCY = 'USD';
const DEFAULT_TIMEZONE = 'UTC';

interface TenantRow {
  tenant_id: string;
  slug: string;
  plan: string;
  status: string;
  currency: string;
  timezone: string;
}

const TENANT_COLUMNS = `t.id AS tenant_id, t.slug, t.plan, t.status, COALESCE(t.settings ->> 'currency', '${DEFAULT_CURRENCY}') AS currency,
  COALESCE(t.settings ->> 'timezone', '${DEFAULT_TIMEZONE}') AS timezone`;

function toResolvedTenant(row: TenantRow): ResolvedTenant {
  return { tenantId: row.tenant_id, slug: row.slug, plan: row.plan, currency: row.currency, timezone: row.timezone };
}

export interface TenantResolverOptions {
  /** Tenants are served on `<slug>.<baseDomain>`. */
  baseDomain: string;
  /** How long a resolution is reused. Events (tenant.updated/offboarded) invalidate earlier. */
  cacheTtlMs: number;
  maxCacheEntries?: number;
  /**
   * How long a key prefix that found no live key (unknown or revoked) is answered 401 without asking the
   * control plane again; default the shorter of cacheTtlMs and 10 s.
   */
  unknownKeyTtlMs?: number;
}

/** The most host names one request may have looked up (the api's guard allows fewer). */
const MAX_HOSTS_PER_REQUEST = 16;

const unauthenticated = () => new DomainError('unauthenticated', 'auth.invalid_api_key', 'The API key is unknown or revoked.');

/** Suspended and offboarded tenants resolve to "forbidden", never to data; unfinished ones too. */
function assertServable(row: { slug: string; status: string }): void {
  if (row.status === 'active' || row.status === 'onboarding') return;
  const code = row.status === 'suspended' ? 'tenant.suspended' : row.status === 'offboarded' ? 'tenant.offboarded' : 'tenant.not_ready';
  throw new DomainError('forbidden', code, `Tenant "${row.slug}" is ${row.status}.`);
}

/**
 * Who is calling: the tenant of an API key (prefix lookup, constant-time secret check) or of a host
 * name (`<slug>.<base domain>` or a custom hostname). Reads the control plane; results are cached
 * briefly and dropped when a tenant.* event says the tenant changed (`invalidateTenant`).
 */
export class TenantResolver {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lastRecordedUse = new Map<string, number>();
  /**
   * Host names that are no tenant's (the bare API host): remembered too, or every request on them would
   * query the control plane. Any tenant event clears them, since it may have added a hostname.
   */
  private readonly hostMisses: ExpiringSet;
  /**
   * Key prefixes with no live key (unknown or revoked), briefly: a client retrying a wrong or revoked key
   * costs one control-plane query per TTL, not one per request. Safe: a prefix is 71 random bits chosen
   * at issue, so no key issued later has one a client sent before, and a revoked key never comes back.
   */
  private readonly unknownKeys: ExpiringSet;
  private readonly maxEntries: number;
  /**
   * Counts invalidations. A lookup stores what it read only if none came while it was reading: a read
   * from before a revoke or a suspension, answered after the event, would otherwise be cached over it
   * and served for the whole TTL.
   */
  private invalidations = 0;

  constructor(
    private readonly controlPlane: Pool,
    private readonly options: TenantResolverOptions,
  ) {
    this.maxEntries = options.maxCacheEntries ?? 10_000;
    this.hostMisses = new ExpiringSet(options.cacheTtlMs, this.maxEntries);
    this.unknownKeys = new ExpiringSet(options.unknownKeyTtlMs ?? Math.min(options.cacheTtlMs, 10_000), this.maxEntries);
  }

  async resolveApiKey(token: string): Promise<ResolvedApiKey> {
    const parsed = parseApiKey(token);
    if (!parsed) throw unauthenticated();
    const cacheKey = `key:${parsed.prefix}`;
    let entry = this.fresh(cacheKey);
    if (!entry) {
      if (this.unknownKeys.has(parsed.prefix)) throw unauthenticated();
      const readAt = this.invalidations;
      const { rows } = await this.controlPlane.query<KeyRow>(
        `SELECT k.id AS key_id, k.secret_hash, COALESCE(k.scopes, '{}') AS scopes, k.revoked_at, ${TENANT_COLUMNS}
           FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.prefix = $1`,
        [parsed.prefix],
      );
      const row = rows[0];
      if (!row || row.revoked_at) {
        if (readAt === this.invalidations) this.unknownKeys.add(parsed.prefix);
        throw unauthenticated();
      }
      // The hash is cached, not the secret check: every request proves it holds the secret.
      entry = this.remember(cacheKey, { row, secretHash: row.secret_hash, resolved: toResolvedKey(row) }, readAt);
    }
    if (!entry?.secretHash || !apiKeySecretMatches(parsed.secret, entry.secretHash)) throw unauthenticated();
    assertServable(entry.row);
    const resolved = entry.resolved as ResolvedApiKey;
    this.recordUse(resolved.keyId);
    return resolved;
  }

  /** Keeps api_keys.last_used_at roughly current (a minute's precision) without a write per request. */
  private recordUse(keyId: string): void {
    const now = Date.now();
    if ((this.lastRecordedUse.get(keyId) ?? 0) > now - 60_000) return;
    this.lastRecordedUse.set(keyId, now);
    this.controlPlane.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [keyId]).catch(() => this.lastRecordedUse.delete(keyId));
  }

  /**
   * The tenant a host name belongs to, or undefined when it is not a tenant host (e.g. the bare API host).
   * A value that is no valid host[:port] is 400 `invalid_host` (normalizeHost), never "no tenant's".
   */
  async resolveHost(host: string): Promise<ResolvedTenant | undefined> {
    const hostname = normalizeHost(host);
    const entry = (await this.lookUpHosts([hostname])).get(hostname);
    if (!entry) return undefined;
    assertServable(entry.row);
    return entry.resolved;
  }

  /**
   * The first of `hosts` on which a key of tenant `tenantId` may not be used, or undefined when it may be
   * used on all of them. It may be used on its own tenant's host, or on a host that is no tenant's (the
   * bare API host: a reserved name under the base domain such as `api.<base domain>`, or any host no
   * tenant registered). Never on another tenant's host, whatever that tenant's status (not the caller's
   * to know), nor on `<slug>.<base domain>` for a slug no tenant has: answering that one differently from
   * another tenant's host would tell any key holder which slugs exist. The names not cached are looked up
   * in one query, and at most MAX_HOSTS_PER_REQUEST of them, so a request's hosts cost one query at most.
   */
  async firstForeignHost(hosts: readonly string[], tenantId: string): Promise<string | undefined> {
    const hostnames = [...new Set(hosts.map((host) => normalizeHost(host)))];
    if (hostnames.length > MAX_HOSTS_PER_REQUEST) {
      throw new DomainError('invalid_input', 'invalid_host', `The request names ${hostnames.length} hosts; at most ${MAX_HOSTS_PER_REQUEST} are taken.`);
    }
    const entries = await this.lookUpHosts(hostnames);
    return hostnames.find((hostname) => {
      const owner = entries.get(hostname)?.resolved.tenantId;
      if (owner !== undefined) return owner !== tenantId;
      const slug = this.slugOf(hostname);
      return slug !== undefined && !isReservedSlug(slug);
    });
  }

  /** The slug a host names, for `<slug>.<baseDomain>` (one label); undefined for any other host. */
  private slugOf(hostname: string): string | undefined {
    const suffix = `.${this.options.baseDomain}`;
    const slug = hostname.endsWith(suffix) ? hostname.slice(0, -suffix.length) : undefined;
    return slug && !slug.includes('.') ? slug : undefined;
  }

  /**
   * The cache entries of host names already normalised (normalizeHost), by name; none for a name that is
   * no tenant's. What the cache does not know is read in one query: `<slug>.<base domain>` by slug, any
   * other name among the custom hostnames.
   */
  private async lookUpHosts(hostnames: readonly string[]): Promise<Map<string, CacheEntry | undefined>> {
    const entries = new Map<string, CacheEntry | undefined>();
    const unknown: string[] = [];
    for (const hostname of hostnames) {
      const cached = this.hostMisses.has(hostname) ? null : this.fresh(`host:${hostname}`);
      if (cached === undefined) unknown.push(hostname);
      else entries.set(hostname, cached ?? undefined);
    }
    if (unknown.length === 0) return entries;

    const readAt = this.invalidations;
    const slugHosts = unknown.filter((hostname) => this.slugOf(hostname) !== undefined);
    const customHosts = unknown.filter((hostname) => this.slugOf(hostname) === undefined);
    const { rows } = await this.controlPlane.query<TenantRow & { hostname: string }>(
      `SELECT q.hostname, ${TENANT_COLUMNS} FROM unnest($1::text[], $2::text[]) AS q(hostname, slug) JOIN tenants t ON t.slug = q.slug
       UNION ALL
       SELECT h.hostname, ${TENANT_COLUMNS} FROM tenant_hostnames h JOIN tenants t ON t.id = h.tenant_id WHERE h.hostname = ANY($3::text[])`,
      [slugHosts, slugHosts.map((hostname) => this.slugOf(hostname)), customHosts],
    );
    const found = new Map(rows.map((row) => [row.hostname, row]));
    for (const hostname of unknown) {
      const row = found.get(hostname);
      if (!row && readAt === this.invalidations) this.hostMisses.add(hostname);
      entries.set(hostname, this.remember(`host:${hostname}`, row ? { row, resolved: toResolvedTenant(row) } : undefined, readAt));
    }
    return entries;
  }

  /** Drops everything cached about a tenant (on tenant.updated / tenant.offboarded). */
  invalidateTenant(tenantId: string): void {
    this.invalidations += 1;
    this.hostMisses.clear();
    for (const [key, entry] of this.cache) {
      if (entry.resolved.tenantId === tenantId) this.cache.delete(key);
    }
  }

  private fresh(key: string): CacheEntry | undefined {
    const entry = this.cache.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.cache.delete(key);
      return undefined;
    }
    return entry;
  }

  /** What a lookup started at invalidation count `readAt` found, cached unless an invalidation came since. */
  private remember(key: string, found: Omit<CacheEntry, 'expiresAt'> | undefined, readAt: number): CacheEntry | undefined {
    // Misses are not kept here (hostMisses and unknownKeys keep them, each with its own rules).
    if (!found || this.options.cacheTtlMs <= 0 || readAt !== this.invalidations) return found ? { ...found, expiresAt: 0 } : undefined;
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    const entry = { ...found, expiresAt: Date.now() + this.options.cacheTtlMs };
    this.cache.set(key, entry);
    return entry;
  }
}

/** What a lookup found: the tenant's status (checked on every use) and, for keys, the secret's hash. */
interface CacheEntry {
  row: { slug: string; status: string };
  secretHash?: string;
  resolved: ResolvedApiKey | ResolvedTenant;
  expiresAt: number;
}

function toResolvedKey(row: KeyRow): ResolvedApiKey {
  return { ...toResolvedTenant(row), keyId: row.key_id, scopes: row.scopes };
}

