import type { Pool } from 'pg';
import { issueApiKey } from '../api-keys/api-key';
import { TenantResolver } from './tenant-resolver';

/**
 * A control plane whose lookups answer what `rows` holds when each is answered, and only when the test
 * says so: a lookup can be held while a tenant event comes in.
 */
class HeldControlPlane {
  rows: Record<string, unknown>[] = [];
  queries = 0;
  private release: (() => void) | undefined;

  readonly pool = {
    query: async (sql: string) => {
      // The key's last use is recorded on the side, not awaited: answered at once, not counted.
      if (sql.startsWith('UPDATE')) return { rows: [] };
      this.queries += 1;
      await new Promise<void>((resolve) => (this.release = resolve));
      return { rows: this.rows };
    },
  } as unknown as Pool;

  answer(): void {
    this.release?.();
  }
}

const tenantRow = { tenant_id: 't1', slug: 'acme', plan: 'standard', status: 'active', currency: 'USD', timezone: 'UTC' };

describe('TenantResolver caching around tenant events', () => {
  it('does not cache a key read before its revoke when the answer comes after the event', async () => {
    const key = issueApiKey();
    const controlPlane = new HeldControlPlane();
    const resolver = new TenantResolver(controlPlane.pool, { baseDomain: 'pulse.test', cacheTtlMs: 30_000 });
    controlPlane.rows = [{ ...tenantRow, key_id: 'k1', secret_hash: key.secretHash, scopes: ['read'], revoked_at: null }];

    const before = resolver.resolveApiKey(key.token);
    // The revoke commits and its tenant.updated.v1 arrives while the lookup's answer is on its way.
    resolver.invalidateTenant('t1');
    controlPlane.answer();
    await expect(before).resolves.toMatchObject({ tenantId: 't1', keyId: 'k1' });

    // Before: that answer was cached and the revoked key accepted for 30 s. Now the next request asks again.
    controlPlane.rows = [{ ...tenantRow, key_id: 'k1', secret_hash: key.secretHash, scopes: ['read'], revoked_at: new Date() }];
    const after = resolver.resolveApiKey(key.token);
    await new Promise((resolve) => setImmediate(resolve));
    controlPlane.answer();
    await expect(after).rejects.toMatchObject({ code: 'auth.invalid_api_key' });
    expect(controlPlane.queries).toBe(2);
  });

  it('does not remember a host as nobody\'s when a tenant event came while it was looked up', async () => {
    const controlPlane = new HeldControlPlane();
    const resolver = new TenantResolver(controlPlane.pool, { baseDomain: 'pulse.test', cacheTtlMs: 30_000 });

    const before = resolver.resolveHost('cs.acme-example.com');
    // The hostname is added to tenant t1 while the lookup that finds nothing is answered.
    resolver.invalidateTenant('t1');
    controlPlane.answer();
    await expect(before).resolves.toBeUndefined();

    controlPlane.rows = [{ ...tenantRow, hostname: 'cs.acme-example.com' }];
    const after = resolver.resolveHost('cs.acme-example.com');
    await new Promise((resolve) => setImmediate(resolve));
    controlPlane.answer();
    await expect(after).resolves.toMatchObject({ tenantId: 't1' });
  });

  it('still caches what a lookup read when no event came meanwhile', async () => {
    const key = issueApiKey();
    const controlPlane = new HeldControlPlane();
    const resolver = new TenantResolver(controlPlane.pool, { baseDomain: 'pulse.test', cacheTtlMs: 30_000 });
    controlPlane.rows = [{ ...tenantRow, key_id: 'k1', secret_hash: key.secretHash, scopes: ['read'], revoked_at: null }];
    const first = resolver.resolveApiKey(key.token);
    controlPlane.answer();
    await first;
    await expect(resolver.resolveApiKey(key.token)).resolves.toMatchObject({ keyId: 'k1' });
    expect(controlPlane.queries).toBe(1);
  });
});
