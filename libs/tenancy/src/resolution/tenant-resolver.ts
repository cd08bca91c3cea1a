import { DomainError } from '@pulse/errors';
import type { Pool } from 'pg';
import { apiKeySecretMatches, parseApiKey } from '../api-keys/api-key';

export interface ResolvedTenant {
  tenantId: string;
  slug: string;
  plan: string;
}

export interface ResolvedApiKey extends ResolvedTenant {
  keyId: string;
  scopes: string[];
}

interface KeyRow {
  key_id: string;
  secret_hash: string;
  scopes: string[];
  revoked_at: Date | null;
  tenant_id: string;
  slug: string;
  plan: string;
  status: string;
}

interface TenantRow {
  tenant_id: string;
  slug: string;
  plan: string;
  status: string;
}

export interface TenantResolverOptions {
  /** Tenants are served on `<slug>.<baseDomain>`. */
  baseDomain: string;
  /** How long a resolution is reused. Events (tenant.updated/offboarded) invalidate earlier. */
  cacheTtlMs: number;
  maxCacheEntries?: number;
}

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
  private readonly maxEntries: number;

  constructor(
    private readonly controlPlane: Pool,
    private readonly options: TenantResolverOptions,
  ) {
    this.maxEntries = options.maxCacheEntries ?? 10_000;
  }

  async resolveApiKey(token: string): Promise<ResolvedApiKey> {
    const parsed = parseApiKey(token);
    if (!parsed) throw unauthenticated();
    const cacheKey = `key:${parsed.prefix}`;
    let entry = this.fresh(cacheKey);
    if (!entry) {
      const { rows } = await this.controlPlane.query<KeyRow>(
        `SELECT k.id AS key_id, k.secret_hash, k.scopes, k.revoked_at, t.id AS tenant_id, t.slug, t.plan, t.status
           FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.prefix = $1`,
        [parsed.prefix],
      );
      const row = rows[0];
      // The hash is cached, not the secret check: every request proves it holds the secret.
      entry = this.remember(cacheKey, row && !row.revoked_at ? { row, secretHash: row.secret_hash, resolved: toResolvedKey(row) } : undefined);
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

  /** The tenant a host name belongs to, or undefined when it is not a tenant host (e.g. the bare API host). */
  async resolveHost(host: string): Promise<ResolvedTenant | undefined> {
    const hostname = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
    const cacheKey = `host:${hostname}`;
    let entry = this.fresh(cacheKey);
    if (!entry) {
      const suffix = `.${this.options.baseDomain}`;
      const slug = hostname.endsWith(suffix) ? hostname.slice(0, -suffix.length) : undefined;
      const { rows } = slug && !slug.includes('.')
        ? await this.controlPlane.query<TenantRow>('SELECT id AS tenant_id, slug, plan, status FROM tenants WHERE slug = $1', [slug])
        : await this.controlPlane.query<TenantRow>(
            'SELECT t.id AS tenant_id, t.slug, t.plan, t.status FROM tenant_hostnames h JOIN tenants t ON t.id = h.tenant_id WHERE h.hostname = $1',
            [hostname],
          );
      const row = rows[0];
      entry = this.remember(cacheKey, row ? { row, resolved: { tenantId: row.tenant_id, slug: row.slug, plan: row.plan } } : undefined);
    }
    if (!entry) return undefined;
    assertServable(entry.row);
    return entry.resolved;
  }

  /** Drops everything cached about a tenant (on tenant.updated / tenant.offboarded). */
  invalidateTenant(tenantId: string): void {
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

  private remember(key: string, found: Omit<CacheEntry, 'expiresAt'> | undefined): CacheEntry | undefined {
    // Misses are not cached: a key issued a moment ago must work at once.
    if (!found || this.options.cacheTtlMs <= 0) return found ? { ...found, expiresAt: 0 } : undefined;
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
  return { tenantId: row.tenant_id, slug: row.slug, plan: row.plan, keyId: row.key_id, scopes: row.scopes };
}
