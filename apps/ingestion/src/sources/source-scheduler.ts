import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { POSTGRES_POOL } from '@pulse/service-runtime';
import { listLiveTenants, TenantDatabasePool, type TenantDatabaseClient } from '@pulse/tenancy';
import { PinoLogger } from 'nestjs-pino';
import type { Pool } from 'pg';
import type { IngestionConfig } from '../config/ingestion.config';
import { TenantDirectory, type TenantProfile } from '../tenancy/tenant-directory';
import { HELD_ELSEWHERE, withSessionLockIfFree } from '../tenancy/session-lock';
import { nextSyncTime } from '@pulse/connectors';
import { SOURCE_DISABLED_MESSAGE, SourceSyncRunner } from './source-sync-runner';

export interface SourceSchedulerSettings {
  /** How often every tenant is checked for due schedules and "run now" requests. */
  pollIntervalMs: number;
  /** Syncs this replica runs at once, all tenants together. */
  maxConcurrentSyncs: number;
  /** Syncs of one tenant at once (each holds two of the tenant's database connections). */
  perTenantConcurrency: number;
  /** false: no timer (tests drive `tick()` themselves). */
  autoStart: boolean;
}

export const SOURCE_SCHEDULER_SETTINGS = Symbol('SOURCE_SCHEDULER_SETTINGS');

export function defaultSchedulerSettings(config: IngestionConfig): SourceSchedulerSettings {
  return { pollIntervalMs: 15_000, maxConcurrentSyncs: config.loading.concurrency, perTenantConcurrency: 1, autoStart: config.service.environment !== 'test' };
}

/**
 * Per-source cron scheduling. Each tick, for every live tenant: sources whose schedule came due get a
 * `source_syncs` row (claimed with a conditional UPDATE of `next_sync_at`, so two replicas never both
 * claim it), and queued runs (schedule or "run now" from the api) are started within the limits. A
 * session advisory lock per source makes "at most one running sync per source" hold across replicas
 * and lets go by itself if the process dies. A failing source backs off (next-sync-time.ts); any error
 * stays with its tenant and source.
 */
@Injectable()
export class SourceScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private readonly running = new Map<string, Promise<void>>();
  private readonly perTenant = new Map<string, number>();
  /** startQueued calls made as a run ended (idle() waits for them and what they start). */
  private readonly refills = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    @Inject(POSTGRES_POOL) private readonly controlPlane: Pool,
    private readonly tenants: TenantDatabasePool,
    private readonly directory: TenantDirectory,
    private readonly runner: SourceSyncRunner,
    private readonly logger: PinoLogger,
    @Inject(SOURCE_SCHEDULER_SETTINGS) private readonly settings: SourceSchedulerSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.settings.autoStart) return;
    const schedule = () => {
      // Jitter the poll itself so replicas started together do not query every tenant in lockstep.
      this.timer = setTimeout(() => {
        this.tick()
          .catch((error: unknown) => this.logger.error({ err: error }, 'source scheduler tick failed'))
          .finally(() => !this.stopping && schedule());
      }, this.settings.pollIntervalMs * (0.8 + Math.random() * 0.4));
      this.timer.unref();
    };
    schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.idle();
  }

  /** Resolves when the current tick and every sync it started (and those started as others ended) have ended. */
  async idle(): Promise<void> {
    await this.ticking;
    while (this.running.size > 0 || this.refills.size > 0) await Promise.allSettled([...this.running.values(), ...this.refills]);
  }

  /** One pass over every live tenant. */
  async tick(now: Date = new Date()): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = (async () => {
      for (const { tenantId } of await listLiveTenants(this.controlPlane)) {
        if (this.stopping) return;
        try {
          const profile = await this.directory.findOrThrow(tenantId, `source-scheduler-${now.getTime()}`);
          await this.closeOrphanedRuns(profile);
          await this.scheduleDue(profile, now);
          await this.startQueued(profile);
        } catch (error) {
          this.logger.warn({ err: error, tenantId }, 'source scheduling skipped a tenant');
        }
      }
    })().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  /** Gives sources without a next time one, and queues a run for each source whose time has come. */
  private async scheduleDue(tenant: TenantProfile, now: Date): Promise<void> {
    const { rows } = await this.tenants.query<{ id: string; schedule: string; consecutive_failures: number; next_sync_at: Date | null }>(
      tenant.context,
      `SELECT id, schedule, consecutive_failures, next_sync_at FROM sources
        WHERE enabled AND schedule IS NOT NULL AND (next_sync_at IS NULL OR next_sync_at <= $1)`,
      [now],
    );
    for (const source of rows) {
      let next: Date;
      try {
        next = nextSyncTime(source.schedule, tenant.timezone, now, 0);
      } catch (error) {
        // One source's schedule that cannot be evaluated (stored before a check, or a cron-parser failure
        // around a DST change) must not stop the tenant's other sources, nor its runs asked for by hand.
        this.logger.warn({ err: error, tenantId: tenant.context.tenantId, sourceId: source.id, schedule: source.schedule }, "a source's schedule could not be evaluated; it is skipped");
        continue;
      }
      if (source.next_sync_at === null) {
        await this.tenants.query(tenant.context, 'UPDATE sources SET next_sync_at = $2 WHERE id = $1 AND next_sync_at IS NULL', [source.id, next]);
        continue;
      }
      await this.tenants.withTenantTransaction(tenant.context, async (db) => {
        const claimed = await db.query('UPDATE sources SET next_sync_at = $2 WHERE id = $1 AND next_sync_at <= $3 RETURNING id', [source.id, next, now]);
        // A run already waiting covers this occurrence too (a slow source does not pile up runs).
        if (claimed.rowCount === 1) {
          await db.query(
            `INSERT INTO source_syncs (source_id, trigger, status)
             SELECT $1, 'schedule', 'queued' WHERE NOT EXISTS (SELECT 1 FROM source_syncs WHERE source_id = $1 AND status = 'queued')`,
            [source.id],
          );
        }
      });
    }
  }

  /**
   * Starts queued runs, oldest request first across the tenant's sources (the oldest of each source; a
   * source runs one sync at a time), up to the limits. Runs of a paused source never start: they are
   * closed as failed with `source_disabled` (the status schema has no "cancelled"), so the history shows
   * what became of them. When a run ends, the tenant's next queued run starts right away.
   */
  private async startQueued(tenant: TenantProfile): Promise<void> {
    await this.tenants.query(
      tenant.context,
      `UPDATE source_syncs q SET status = 'failed', error_code = 'source_disabled', error = $1, finished_at = now()
         FROM sources s WHERE s.id = q.source_id AND q.status = 'queued' AND NOT s.enabled`,
      [SOURCE_DISABLED_MESSAGE],
    );
    const { rows } = await this.tenants.query<{ id: string; source_id: string }>(
      tenant.context,
      `SELECT id, source_id FROM (
         SELECT DISTINCT ON (q.source_id) q.id, q.source_id, q.requested_at FROM source_syncs q JOIN sources s ON s.id = q.source_id
          WHERE q.status = 'queued' AND s.enabled ORDER BY q.source_id, q.requested_at, q.id) oldest
        ORDER BY requested_at, id`,
    );
    for (const sync of rows) {
      const key = `${tenant.context.tenantId}:${sync.source_id}`;
      if (this.running.has(key)) continue;
      if (this.running.size >= this.settings.maxConcurrentSyncs) return;
      if ((this.perTenant.get(tenant.context.tenantId) ?? 0) >= this.settings.perTenantConcurrency) return;
      this.perTenant.set(tenant.context.tenantId, (this.perTenant.get(tenant.context.tenantId) ?? 0) + 1);
      const run = this.runLocked(tenant, sync.source_id, sync.id).then((ran) => {
        this.running.delete(key);
        this.perTenant.set(tenant.context.tenantId, (this.perTenant.get(tenant.context.tenantId) ?? 1) - 1);
        // The slot is free: the tenant's next queued run need not wait for the next poll. Only after a run
        // that started: one that found its source locked elsewhere would find it locked again at once.
        if (ran && !this.stopping) {
          const refill = this.startQueued(tenant)
            .catch((error: unknown) => this.logger.warn({ err: error, tenantId: tenant.context.tenantId }, 'source scheduling skipped a tenant'))
            .finally(() => this.refills.delete(refill));
          this.refills.add(refill);
        }
      });
      this.running.set(key, run);
    }
  }

  /**
   * A run is orphaned when it is `running` but no live worker holds its source's advisory lock (the
   * session lock goes with the process that held it). Each pass closes those of every source, as failed
   * with `interrupted`, instead of waiting for that source to run again.
   */
  private async closeOrphanedRuns(tenant: TenantProfile): Promise<void> {
    const { rows } = await this.tenants.query<{ source_id: string }>(tenant.context, `SELECT DISTINCT source_id FROM source_syncs WHERE status = 'running'`);
    const candidates = rows.filter((row) => !this.running.has(`${tenant.context.tenantId}:${row.source_id}`));
    if (candidates.length === 0) return;
    await this.tenants.withTenantClient(tenant.context, async (db) => {
      for (const { source_id: sourceId } of candidates) {
        // Not closed while a live worker holds the lock: that worker runs it.
        await withSessionLockIfFree(db, sourceLockKey(sourceId), () => closeInterrupted(db, sourceId));
      }
    });
  }

  /** Whether the run was started (it then ended, one way or another); false: left queued or closed as paused. */
  private async runLocked(tenant: TenantProfile, sourceId: string, syncId: string): Promise<boolean> {
    try {
      return await this.tenants.withTenantClient(tenant.context, async (lock) => {
        const started = await withSessionLockIfFree(lock, sourceLockKey(sourceId), async () => {
          // A run left "running" by a process that died (its lock went with it) is over.
          await closeInterrupted(lock, sourceId);
          // Claimed only while the source is enabled (a PATCH may have paused it since the scheduler read
          // it); the runner checks again once it has read the source.
          const claimed = await lock.query(
            `UPDATE source_syncs q SET status = 'running', started_at = now() FROM sources s
              WHERE q.id = $1 AND q.status = 'queued' AND s.id = q.source_id AND s.enabled RETURNING q.id`,
            [syncId],
          );
          if (claimed.rowCount !== 1) {
            await lock.query(
              `UPDATE source_syncs q SET status = 'failed', error_code = 'source_disabled', error = $2, finished_at = now()
                 FROM sources s WHERE q.id = $1 AND q.status = 'queued' AND s.id = q.source_id AND NOT s.enabled`,
              [syncId, SOURCE_DISABLED_MESSAGE],
            );
            return false;
          }
          try {
            await this.runner.run(tenant, sourceId, syncId);
          } catch {
            await this.backOff(tenant, sourceId);
          }
          return true;
        });
        return started !== HELD_ELSEWHERE && started; // running elsewhere: the queued row waits for the next tick
      });
    } catch (error) {
      this.logger.warn({ err: error, tenantId: tenant.context.tenantId, sourceId, syncId }, 'source sync could not be started');
      return false;
    }
  }

  /**
   * After a failure the next scheduled run waits for the backoff (the runner already counted the failure).
   * A scheduled run queued while this one ran (its occurrence came meanwhile) goes too: started as soon
   * as the slot freed, it would retry at once, and a source that fails slowly would run back to back,
   * holding the tenant's slot, instead of backing off. A run asked for by hand stays.
   */
  private async backOff(tenant: TenantProfile, sourceId: string): Promise<void> {
    const { rows } = await this.tenants.query<{ schedule: string | null; consecutive_failures: number }>(
      tenant.context,
      'SELECT schedule, consecutive_failures FROM sources WHERE id = $1',
      [sourceId],
    );
    const source = rows[0];
    if (!source?.schedule) return;
    const next = nextSyncTime(source.schedule, tenant.timezone, new Date(), source.consecutive_failures);
    await this.tenants.withTenantTransaction(tenant.context, async (db) => {
      await db.query('UPDATE sources SET next_sync_at = $2 WHERE id = $1', [sourceId, next]);
      await db.query(`DELETE FROM source_syncs WHERE source_id = $1 AND status = 'queued' AND trigger = 'schedule'`, [sourceId]);
    });
  }
}


function sourceLockKey(sourceId: string): string {
  return `pulse.source-sync:${sourceId}`;
}

/** Closes the source's `running` runs; call holding the source's advisory lock (so none of them is live). */
async function closeInterrupted(db: TenantDatabaseClient, sourceId: string): Promise<void> {
  await db.query(
    `UPDATE source_syncs SET status = 'failed', error_code = 'interrupted', error = 'The sync process stopped before this run finished; the next run resumes from the last committed position.', finished_at = now()
      WHERE source_id = $1 AND status = 'running'`,
    [sourceId],
  );
}
