import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { POSTGRES_POOL } from '@pulse/service-runtime';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Pool } from 'pg';
import { API_CONFIG, type ApiConfig } from '../../config/api.config';
import { TenantRateLimiter } from './tenant-rate-limiter';

/** Rows nobody has refreshed for this long belong to pods long gone (crashed, never deleted): housekeeping. */
const FORGET_AFTER_SECONDS = 3600;

// One statement, one round trip: record this replica, forget long-gone ones, count the group's replicas
// seen within the window. All parts share one snapshot, so the count cannot see this beat's own write:
// it counts the others and adds this replica. SKIP LOCKED: two replicas cleaning up at once never wait
// for (or deadlock on) each other. Times are the control plane's clock, never a pod's.
const BEAT_SQL = `
WITH beat AS (
  INSERT INTO api_replicas (instance_id, replica_group, last_seen_at) VALUES ($1, $2, now())
  ON CONFLICT (instance_id) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at
), forgotten AS (
  DELETE FROM api_replicas WHERE instance_id IN (
    SELECT instance_id FROM api_replicas
    WHERE last_seen_at < now() - make_interval(secs => ${FORGET_AFTER_SECONDS})
    FOR UPDATE SKIP LOCKED
  )
)
SELECT 1 + count(*)::int AS live FROM api_replicas
WHERE replica_group = $2 AND instance_id <> $1 AND last_seen_at >= now() - make_interval(secs => $3::float8 / 1000)`;

const LEAVE_SQL = 'DELETE FROM api_replicas WHERE instance_id = $1';

/**
 * Tells the rate limiter how many api replicas share its tenants' traffic, following the autoscaler. Every
 * RATE_LIMIT_HEARTBEAT_MS this replica upserts its row in the control plane's `api_replicas` and counts
 * the rows of its group (same namespace, same dedicated tenant) seen within RATE_LIMIT_REPLICA_WINDOW_MS;
 * it deletes its row on shutdown, so the others take over its share at their next beat. Never on the
 * request path: requests read the last count. While the control plane does not answer, the last count
 * stays (before the first answer: 1, but then no API key can be resolved either).
 */
@Injectable()
export class ReplicaHeartbeat implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReplicaHeartbeat.name);
  /** Unique per process: a restarted container is a new replica; its old row ages out of the window. */
  readonly instanceId = `${hostname()}-${randomBytes(4).toString('hex')}`;
  private readonly settings: ApiConfig['http']['rateLimits']['replicas'];
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private failing = false;

  constructor(
    @Inject(POSTGRES_POOL) private readonly pool: Pool,
    @Inject(API_CONFIG) config: ApiConfig,
    private readonly limiter: TenantRateLimiter,
  ) {
    this.settings = config.http.rateLimits.replicas;
  }

  /** Before the listener opens, so the first request is already limited to this replica's share. */
  async onApplicationBootstrap(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.settings.heartbeatMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // A beat still running would put the row back after the delete.
    await this.beating;
    try {
      await this.pool.query(LEAVE_SQL, [this.instanceId]);
    } catch (error) {
      this.logger.warn(`Could not remove this replica from api_replicas (${messageOf(error)}); the others stop counting it after RATE_LIMIT_REPLICA_WINDOW_MS`);
    }
  }

  private tick(): Promise<void> {
    // A slow control plane: skip this tick rather than queue beats behind it.
    this.beating ??= this.beat().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  private async beat(): Promise<void> {
    const { group, windowMs } = this.settings;
    try {
      const { rows } = await this.pool.query<{ live: number }>(BEAT_SQL, [this.instanceId, group, windowMs]);
      const live = rows[0]?.live ?? 1;
      if (this.failing) this.logger.log('The control plane answers again: rate limits follow the live replicas again');
      this.failing = false;
      if (live !== this.limiter.liveReplicas) {
        this.logger.log(`${live} live api replica(s) in ${group}: each enforces 1/${live} of a tenant's plan`);
        this.limiter.setLiveReplicas(live);
      }
    } catch (error) {
      // Loud once per outage: a missing grant on api_replicas would leave every replica enforcing the whole plan.
      if (!this.failing) {
        this.logger.error(
          `Cannot record this replica in the control plane's api_replicas (${messageOf(error)}): rate limits keep the last count, ` +
            `${this.limiter.liveReplicas} live replica(s), until it answers`,
        );
      }
      this.failing = true;
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
