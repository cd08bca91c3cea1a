import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@pulse/errors';
import { TenantDatabasePool, type TenantContext, type TenantDatabaseClient } from '@pulse/tenancy';
import { API_CONFIG, type ApiConfig } from '../../config/api.config';

/**
 * A request still marked in progress after this long is taken to have died with its replica (crash,
 * deploy) and may be taken over by a retry. Longer than any POST that creates work takes.
 */
const IN_PROGRESS_LEASE_SECONDS = 60;

/**
 * Which claim of a key a request holds: the claim's `created_at`, as text to keep its microseconds. Every
 * claim sets it to its own now(), and a key is taken over only a lease after its last claim, so two
 * holders of one key never share it. A request that outlived its lease, its key taken over by a retry,
 * neither records its response over the retry's nor frees the retry's claim.
 */
export type IdempotencyLease = string;

export type IdempotencyClaim =
  | { outcome: 'claimed'; lease: IdempotencyLease }
  | { outcome: 'replay'; status: number; body: unknown }
  | { outcome: 'mismatch' }
  | { outcome: 'in_progress' };

/** The claims a request may go on with (its own, or a replay); the other two are the client's errors. */
export function usableClaim(claim: IdempotencyClaim): Extract<IdempotencyClaim, { outcome: 'claimed' | 'replay' }> {
  switch (claim.outcome) {
    case 'mismatch':
      throw new DomainError('unprocessable', 'idempotency_key_reused', 'This Idempotency-Key was used with a different request; use a new key for a new request.');
    case 'in_progress':
      throw new DomainError('conflict', 'idempotency_key_in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly.');
    default:
      return claim;
  }
}

interface KeyRow {
  request_hash: string;
  status: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: unknown;
}

/** Idempotency-Key records in the tenant's database (table idempotency_keys). */
@Injectable()
export class IdempotencyStore {
  constructor(
    private readonly tenants: TenantDatabasePool,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /**
   * Claims the key for this request, atomically: a new key, an expired one, or one whose holder's lease
   * ran out while holding it for this same request is ours; otherwise the existing record says what to
   * do. A lapsed lease is no licence for another request: its holder may have done the work before dying,
   * so the key stays bound to what it was first used for (422 for anything else).
   */
  async claim(tenant: TenantContext, key: string, requestHash: string): Promise<IdempotencyClaim> {
    return this.tenants.withTenantClient(tenant, async (db) => {
      const claimed = await db.query(
        `INSERT INTO idempotency_keys (key, request_hash, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))
         ON CONFLICT (key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status = 'in_progress', response_status = NULL,
           response_body = NULL, created_at = now(), completed_at = NULL, expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at < now()
            OR (idempotency_keys.status = 'in_progress' AND idempotency_keys.created_at < now() - make_interval(secs => $4)
                AND idempotency_keys.request_hash = EXCLUDED.request_hash)
         RETURNING created_at::text AS lease`,
        [key, requestHash, this.config.http.idempotencyKeyTtlHours, IN_PROGRESS_LEASE_SECONDS],
      );
      const lease = (claimed.rows[0] as { lease: string } | undefined)?.lease;
      if (lease !== undefined) return { outcome: 'claimed', lease };

      const { rows } = await db.query<KeyRow>('SELECT request_hash, status, response_status, response_body FROM idempotency_keys WHERE key = $1', [key]);
      const row = rows[0];
      // Gone between the two statements: its holder failed and released it. Ask the client to retry.
      if (!row) return { outcome: 'in_progress' };
      if (row.request_hash !== requestHash) return { outcome: 'mismatch' };
      if (row.status === 'in_progress' || row.response_status === null) return { outcome: 'in_progress' };
      return { outcome: 'replay', status: row.response_status, body: row.response_body };
    });
  }

  /** Records the response of work already done; a retry that took the key over records its own instead. */
  async complete(tenant: TenantContext, key: string, lease: IdempotencyLease, status: number, body: unknown): Promise<void> {
    await this.tenants.withTenantClient(tenant, (db) => this.recordResponse(db, key, lease, status, body));
  }

  /**
   * Records the response on `db`: inside the transaction that did the work, the record commits with it,
   * so a client whose answer was lost after the commit gets it replayed, never the work done again.
   * When a retry has taken the key over (this request outlived its lease), throws 409 so that the
   * transaction rolls back: the retry's work is the one that counts, and its response the one replayed.
   */
  async completeIn(db: TenantDatabaseClient, key: string, lease: IdempotencyLease, status: number, body: unknown): Promise<void> {
    if (await this.recordResponse(db, key, lease, status, body)) return;
    throw new DomainError(
      'conflict',
      'idempotency_key_in_progress',
      'This request outlived its Idempotency-Key lease and a retry took the key over: nothing was done by this request; retry to get the response of the one that holds the key.',
    );
  }

  /** False when the claim is no longer this request's. */
  private async recordResponse(db: TenantDatabaseClient, key: string, lease: IdempotencyLease, status: number, body: unknown): Promise<boolean> {
    const recorded = await db.query(
      `UPDATE idempotency_keys SET status = 'completed', response_status = $3, response_body = $4::json, completed_at = now()
       WHERE key = $1 AND created_at = $2::timestamptz AND status = 'in_progress'`,
      [key, lease, status, JSON.stringify(body ?? null)],
    );
    return recorded.rowCount === 1;
  }

  /**
   * The request failed: forget the key so that the client's retry runs it again. A key whose response
   * was recorded (completeIn, committed before the failure) stays: the retry replays it; so does a key a
   * retry took over.
   */
  async release(tenant: TenantContext, key: string, lease: IdempotencyLease): Promise<void> {
    await this.tenants.query(tenant, `DELETE FROM idempotency_keys WHERE key = $1 AND created_at = $2::timestamptz AND status = 'in_progress'`, [key, lease]);
  }
}
