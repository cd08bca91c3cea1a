import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  ingestionCompletedV1,
  ingestionFailedV1,
  metricsRefreshRequestedV1,
  type CanonicalEntity,
  type EventPayload,
  type ImportFormat,
  type ImportMapping,
  type ImportMode,
  type ImportOptions,
} from '@pulse/contracts';
import { DomainError } from '@pulse/errors';
import { EventPublisher, enqueueEvent, publishAfterCommit, type EventMetadata } from '@pulse/messaging';
import { importObjectKey, sourcesPrefix, tenantPrefix, type ObjectStorage } from '@pulse/object-storage';
import { InterruptibleWorks, TenantDatabasePool, type InterruptibleWork, type TenantContext, type TenantDatabaseClient } from '@pulse/tenancy';
import type { Warehouse } from '@pulse/warehouse';
import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { INGESTION_CONFIG, type IngestionConfig } from '../config/ingestion.config';
import { HELD_ELSEWHERE, withSessionLock, withSessionLockIfFree } from '../tenancy/session-lock';
import { applyStagedRows, type ApplyResult } from './finalize/apply-staged-rows';
import { dropForeignKeysForBulkLoad, restoreDroppedForeignKeys } from './finalize/bulk-load-foreign-keys';
import { ENTITY_LOAD_PLANS } from './finalize/entity-load-plan';
import { writeStagedFile, type StagedRows } from './finalize/staged-file';
import type { ImportOutcome } from './import-outcome';
import { readImport, TERMINAL_STATUSES, type ImportRecord } from './import-record';
import { IMPORT_STORAGE, IMPORT_WAREHOUSE } from './ingestion-dependencies';
import { importInterrupted } from './import-interrupted';
import { EMPTY_CHECKPOINT, stageFile, type StagingCheckpoint } from './staging/stage-file';
import { createStagingTableSql, dropStagingTablesOfFinishedImports, dropStagingTableSql, stagingTableName } from './staging/staging-table';

/**
 * The import to create, for callers that have their own data (source syncs): docs/ingestion.md, "Loader entry
 * point for source syncs".
 */
export interface NewImport {
  entity: CanonicalEntity;
  format: ImportFormat;
  /** Where the file is: a URI of the configured object storage. */
  objectUri: string;
  mapping?: ImportMapping;
  mode: ImportMode;
  options: ImportOptions;
  /** The source whose sync produced the file (recorded on the import and the rows). */
  sourceId?: string;
}

export interface RunImportRequest {
  tenant: TenantContext;
  /** The tenant's timezone (timestamps without an offset). */
  timezone: string;
  importId: string;
  /** The ingestion.requested.v1 delivery being handled: recorded in processed_events with the outcome. */
  eventId?: string;
  /**
   * Runs in the import's final transaction, after its rows and outcome are written and before commit:
   * whatever it writes commits with the data or not at all (source syncs advance sync_states here). An
   * ImportWithdrawnError thrown here rolls the transaction back and ends the import failed with its code
   * and message (the hook is then called again with that failed outcome).
   */
  beforeCommit?: (db: TenantDatabaseClient, outcome: ImportOutcome) => Promise<void>;
  /**
   * Delete detection of a source's full read (the import's `sourceId`): after the load, the rows that
   * source wrote and the file does not have are deleted, in the same transaction; `rowsDeleted` of the
   * outcome counts them, and the warehouse follows (docs/ingestion.md, "Loader entry point for source syncs").
   */
  deleteUnseenOfSource?: boolean;
  /** Delete detection: the largest share of the source's rows one import may delete (default 1: no limit). */
  maxDeleteShare?: number;
  /** Tests: called after each committed staging window (a thrown error simulates a crash there). */
  onCheckpoint?: (checkpoint: StagingCheckpoint) => Promise<void> | void;
  /**
   * Shutdown may interrupt the run (ImportLoader.beforeApplicationShutdown): the request's event is
   * delivered again and the import resumes from its last checkpoint. The event handlers set it; source
   * syncs do not (their scheduler lets the syncs under way finish).
   */
  interruptible?: boolean;
}

const CONSUMER = 'ingestion';

/** The event an import's outcome announces, as written to the tenant outbox and published after commit. */
type OutcomeContract = typeof ingestionFailedV1 | typeof ingestionCompletedV1;
interface OutcomeEvent {
  contract: OutcomeContract;
  payload: EventPayload<OutcomeContract>;
  metadata: EventMetadata & { eventId: string };
}

/**
 * Thrown by a `beforeCommit` hook when the import must not be applied after all (a source sync whose
 * source was changed while it ran): nothing of it commits, and the import is recorded failed with this
 * code and message.
 */
export class ImportWithdrawnError extends DomainError {
  constructor(code: string, message: string) {
    super('conflict', code, message);
  }
}

/** A whole-file problem (unreadable file, missing column, object gone): the import fails, nothing loads. */
function isWholeFileFailure(error: unknown): error is DomainError {
  return error instanceof DomainError && !error.retryable;
}

/**
 * SQLSTATEs that no retry can pass: the staged rows hold a value PostgreSQL will never store (class 22,
 * data exception: a number or date out of range, bad text), break a column's NOT NULL or CHECK, or go past
 * a limit of PostgreSQL itself (class 54, program_limit_exceeded: e.g. 54000, a text too long for an
 * entry of an index the parser does not know of, one an operator added). Other failures (connection lost,
 * deadlock, a unique or foreign key race with another import, a full disk) may pass when the import runs again.
 */
function unstorableValue(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(code.startsWith('22') || code.startsWith('54') || code === '23502' || code === '23514')) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  return `PostgreSQL refused a value of the file (SQLSTATE ${code}: ${message.slice(0, 300)}); nothing was changed.`;
}

/**
 * Dropping a table's foreign keys for a bulk load locks the tables they reference against readers: each
 * attempt waits at most 200 ms for them (what an api read may wait behind it), and after 2 s of readers
 * the load keeps its keys instead (slower, but nobody waits for it).
 */
const BULK_LOAD_LOCK_RETRY = { attemptMs: 200, limitMs: 2_000 };

/**
 * Runs imports: file -> parser -> staging (checkpointed) -> one final transaction that resolves,
 * validates, applies and records the outcome -> staged file for the warehouse -> events. Safe to call
 * again for the same import at any point (crash, redelivery): a finished import is left as it is, an
 * unfinished one resumes from its checkpoint. Two workers never run one import at once (advisory lock).
 */
@Injectable()
export class ImportLoader implements BeforeApplicationShutdown {
  /** Interruptible imports under way in this process (beforeApplicationShutdown). */
  private readonly running: InterruptibleWorks;

  constructor(
    private readonly tenants: TenantDatabasePool,
    private readonly publisher: EventPublisher,
    private readonly logger: PinoLogger,
    @Inject(IMPORT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(IMPORT_WAREHOUSE) private readonly warehouse: Warehouse,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
  ) {
    this.running = new InterruptibleWorks(tenants, (run) => importInterrupted(run.id));
  }

  /** Records a queued import (source syncs; uploads are recorded by the api). Returns its id. */
  async createImport(tenant: TenantContext, spec: NewImport): Promise<string> {
    const importId = randomUUID();
    await this.tenants.query(
      tenant,
      `INSERT INTO imports (id, entity, status, mode, format, object_uri, mapping, options, source_id) VALUES ($1, $2, 'queued', $3, $4, $5, $6::jsonb, $7::jsonb, $8)`,
      [importId, spec.entity, spec.mode, spec.format, spec.objectUri, spec.mapping ? JSON.stringify(spec.mapping) : null, JSON.stringify(spec.options), spec.sourceId ?? null],
    );
    return importId;
  }

  /**
   * createImport + run: loads a file to completion; `beforeCommit` joins the final transaction. No
   * request will be delivered again to finish such an import, so one that throws is failed at once
   * (abandon: nothing of it applied, foreign keys it dropped restored), and a source's imports left
   * unfinished by a worker that died are failed before its next one: none stays running for good.
   */
  async load(
    tenant: TenantContext,
    timezone: string,
    spec: NewImport,
    beforeCommit?: RunImportRequest['beforeCommit'],
    options: Pick<RunImportRequest, 'deleteUnseenOfSource' | 'maxDeleteShare'> = {},
  ): Promise<ImportOutcome> {
    if (spec.sourceId) await this.abandonUnfinishedOfSource(tenant, timezone, spec.sourceId);
    const importId = await this.createImport(tenant, spec);
    try {
      return await this.run({ tenant, timezone, importId, beforeCommit, ...options });
    } catch (error) {
      await this.abandon({ tenant, timezone, importId }, error, 1).catch((abandonError: unknown) =>
        this.logger.warn({ importId, err: abandonError }, 'could not fail an import whose load threw; the next load of its source fails it'),
      );
      throw error;
    }
  }

  /**
   * A source's imports still queued or running when it starts another: their worker died mid-load (the
   * caller holds the source's sync lock, so no other worker is loading them). Failed for good.
   */
  private async abandonUnfinishedOfSource(tenant: TenantContext, timezone: string, sourceId: string): Promise<void> {
    const { rows } = await this.tenants.query<{ id: string }>(tenant, `SELECT id FROM imports WHERE source_id = $1 AND status IN ('queued', 'running') ORDER BY created_at, id`, [
      sourceId,
    ]);
    for (const { id } of rows) await this.abandon({ tenant, timezone, importId: id }, new Error('its sync stopped before finishing it'), 1);
  }

  async run(request: RunImportRequest): Promise<ImportOutcome> {
    if (!request.interruptible) return this.withImportLock(request, (db) => this.runLocked(db, request));
    if (this.running.shuttingDown) throw importInterrupted(request.importId);
    return this.withImportLock(request, (db) =>
      this.running.track(db, request.tenant, request.importId, async (running) => {
        try {
          return await this.runLocked(db, request, running);
        } catch (error) {
          // A cancelled statement, or the check between steps: either way the import was interrupted.
          throw running.signal.aborted ? running.signal.reason : error;
        }
      }),
    );
  }

  /**
   * Shutdown (SIGTERM: a deploy, a node drained) does not wait for imports under way, which can take
   * minutes: each is interrupted, between staging windows or by cancelling the statement of its final
   * transaction, which rolls back. Its request fails and is delivered again, to another replica, and the
   * import resumes from its last committed window. Runs before the consumers drain (Nest calls this hook
   * before closing the transports), so they find the handlers done; new requests meanwhile fail the same way.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.running.interruptAll({
      interrupting: (runs) =>
        this.logger.info({ imports: runs.map((run) => run.id) }, 'shutting down: interrupting imports under way; they resume from their last checkpoint when their requests are delivered again'),
      cancelFailed: (run, error) => this.logger.warn({ err: error, importId: run.id }, 'could not cancel the statement of an interrupted import'),
    });
  }

  /**
   * Uploaded imports not finished, oldest first: those whose requests arrived while the tenant was
   * suspended (queued) or whose worker stopped (running, its lock gone). Source syncs' imports are left
   * to their syncs, which load them together with their sync state.
   */
  async unfinishedUploads(tenant: TenantContext): Promise<string[]> {
    const { rows } = await this.tenants.query<{ id: string }>(
      tenant,
      `SELECT id FROM imports WHERE status IN ('queued', 'running') AND source_id IS NULL ORDER BY created_at, id`,
    );
    return rows.map((row) => row.id);
  }

  /**
   * Fails an unfinished import for good, with ingestion.failed.v1: its request is being dead-lettered
   * (it failed on its last delivery, or in a way that cannot pass), so no redelivery will finish it.
   * Nothing of it was applied (rows commit only together with the outcome). A finished import is left as it is.
   */
  async abandon(request: RunImportRequest, cause: unknown, attempts: number): Promise<void> {
    await this.withImportLock(request, async (db) => {
      const record = await readImport(db, request.importId);
      if (!record || TERMINAL_STATUSES.includes(record.status)) return;
      const reason = cause instanceof Error ? cause.message : String(cause);
      this.logger.error({ importId: record.id, err: cause, attempts }, 'import abandoned');
      await this.finish(db, request, record, record.startedAt ?? new Date(), {
        status: 'failed',
        rowsReceived: record.rowsReceived,
        rowsLoaded: 0,
        rowsRejected: record.rowsRejected,
        errorCode: 'load_failed',
        error: `The import could not be loaded (${attempts} attempt${attempts === 1 ? '' : 's'}); nothing was changed. Last error: ${reason.slice(0, 500)}`,
      });
    });
  }

  /** Runs `work` holding the import's advisory lock: two workers never work on one import at once. */
  private async withImportLock<T>(request: RunImportRequest, work: (db: TenantDatabaseClient) => Promise<T>): Promise<T> {
    return this.tenants.withTenantClient(request.tenant, async (db) => {
      const result = await withSessionLockIfFree(db, `pulse.import:${request.importId}`, () => work(db));
      if (result === HELD_ELSEWHERE) {
        // Retryable: if the holder dies its lock goes with its connection, and the redelivery takes over.
        throw new DomainError('unavailable', 'import.in_progress_elsewhere', `Import ${request.importId} is being loaded by another worker.`);
      }
      return result;
    });
  }

  private async runLocked(db: TenantDatabaseClient, request: RunImportRequest, running?: InterruptibleWork): Promise<ImportOutcome> {
    const record = await readImport(db, request.importId);
    if (!record) throw new DomainError('not_found', 'import.not_found', `No import ${request.importId} in tenant ${request.tenant.slug}.`);
    if (TERMINAL_STATUSES.includes(record.status)) {
      if (request.eventId) await db.query('INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [CONSUMER, request.eventId]);
      await db.query(dropStagingTableSql(record.id));
      // The run that committed it may have died (or its warehouse call failed) before the warehouse got its
      // loads. Its completion event went out at commit: a metrics run it asked for may have computed without them.
      const delivered = await this.withWarehouseLock(db, request.tenant, () => this.deliverWarehouseLoads(db, request.tenant));
      if (delivered.length > 0) await this.requestMetricsRun(request.tenant, delivered);
      return outcomeOf(record, false);
    }

    const started = await db.query<{ started_at: Date }>(
      `UPDATE imports SET status = 'running', started_at = COALESCE(started_at, now()) WHERE id = $1 RETURNING started_at`,
      [record.id],
    );
    const startedAt = started.rows[0]?.started_at ?? new Date();
    if (this.isOrphanedSyncImport(request.tenant, record)) {
      // A sync's batch loads only with its sync state, by its sync: once the source is deleted (its
      // imports keep no source), a dead sync's batch must not be applied as if it were an upload.
      await this.restoreForeignKeysAfterRollback(db, record.id);
      const counts = await readImport(db, record.id);
      const error = 'The source this import was read from was deleted before the import finished; nothing of it was applied.';
      return this.finish(
        db,
        request,
        record,
        startedAt,
        { status: 'failed', rowsReceived: counts?.rowsReceived ?? 0, rowsLoaded: 0, rowsRejected: counts?.rowsRejected ?? 0, errorCode: 'source_deleted', error },
        EMPTY_CHECKPOINT,
        {},
      );
    }
    const resumeFrom = await this.prepareStaging(db, record);
    this.logger.info({ importId: record.id, entity: record.entity, resumeFrom }, resumeFrom.recordsRead > 0 ? 'import resuming from checkpoint' : 'import started');

    let staged: StagingCheckpoint;
    const stagingStarted = Date.now();
    try {
      staged = await stageFile(db, {
        importId: record.id,
        entity: record.entity,
        format: record.format,
        mapping: record.mapping,
        timezone: request.timezone,
        file: this.storage.read(this.tenantObjectKey(request.tenant, record.objectUri)),
        resumeFrom,
        batchRows: this.config.loading.batchRows,
        checkpointRows: this.config.loading.checkpointRows,
        onCheckpoint: request.onCheckpoint,
        signal: running?.signal,
      });
    } catch (error) {
      if (!isWholeFileFailure(error)) throw error;
      const counts = await readImport(db, record.id);
      return this.finish(
        db,
        request,
        record,
        startedAt,
        { status: 'failed', rowsReceived: counts?.rowsReceived ?? 0, rowsLoaded: 0, rowsRejected: counts?.rowsRejected ?? 0, errorCode: error.code, error: error.message },
        EMPTY_CHECKPOINT,
        { staging: Date.now() - stagingStarted },
      );
    }

    const stagingMs = Date.now() - stagingStarted;
    this.logger.info({ importId: record.id, staged, stagingMs }, 'import staged');
    running?.signal.throwIfAborted();
    const timings = { staging: stagingMs, ...(await this.dropForeignKeysForBulkLoad(db, record, staged)) };
    try {
      running?.signal.throwIfAborted();
      const finish = () => this.finish(db, request, record, startedAt, undefined, staged, timings);
      return await (running ? running.cancellable(finish) : finish());
    } catch (error) {
      if (running?.signal.aborted) {
        await this.restoreForeignKeysAfterRollback(db, record.id);
        throw error;
      }
      if (error instanceof ImportWithdrawnError) {
        this.logger.warn({ importId: record.id, errorCode: error.code }, 'import withdrawn before commit');
        return this.finish(
          db,
          request,
          record,
          startedAt,
          { status: 'failed', rowsReceived: staged.recordsRead, rowsLoaded: 0, rowsRejected: staged.parseRejected, errorCode: error.code, error: error.message },
          staged,
          { staging: stagingMs },
        );
      }
      // The apply was rolled back. A value PostgreSQL refuses fails every retry alike: end the import now.
      const refused = unstorableValue(error);
      if (!refused) {
        await this.restoreForeignKeysAfterRollback(db, record.id);
        throw error;
      }
      this.logger.error({ importId: record.id, err: error }, 'import failed: PostgreSQL refused a value');
      return this.finish(
        db,
        request,
        record,
        startedAt,
        { status: 'failed', rowsReceived: staged.recordsRead, rowsLoaded: 0, rowsRejected: staged.parseRejected, errorCode: 'unstorable_value', error: refused },
        staged,
        { staging: stagingMs },
      );
    }
  }

  /**
   * The storage key of an import's file (or of a staged warehouse load), which must lie under the tenant's
   * own prefix: the imports row names the file, and whatever wrote that row, a file of another tenant is
   * never read into this one. Not retryable: the import fails as a whole-file failure.
   */
  private tenantObjectKey(tenant: TenantContext, objectUri: string, what = "The import's file"): string {
    const key = this.storage.keyOf(objectUri);
    if (!key.startsWith(tenantPrefix(tenant.tenantId))) {
      throw new DomainError('invalid_input', 'import.foreign_object', `${what} is not stored under this tenant; nothing was read.`);
    }
    return key;
  }

  /** An import a source sync wrote (its file lies under the tenant's `sources/`) whose source is gone. */
  private isOrphanedSyncImport(tenant: TenantContext, record: ImportRecord): boolean {
    return record.sourceId === null && this.storage.keyOf(record.objectUri).startsWith(sourcesPrefix(tenant.tenantId));
  }

  /**
   * A file large enough for a bulk load into an empty table: its foreign keys are dropped in a short
   * transaction of their own before the final one, which adds them back (bulk-load-foreign-keys.ts).
   * Returns the step's timing, if it ran.
   */
  private async dropForeignKeysForBulkLoad(db: TenantDatabaseClient, record: ImportRecord, staged: StagingCheckpoint): Promise<Record<string, number>> {
    if (staged.stagedRows < this.config.loading.bulkLoadMinRows) return {};
    const started = Date.now();
    const table = ENTITY_LOAD_PLANS[record.entity].table;
    const result = await dropForeignKeysForBulkLoad(db, record.id, table, BULK_LOAD_LOCK_RETRY);
    if (result.outcome === 'not_needed') return {};
    if (result.outcome === 'busy') {
      this.logger.info({ importId: record.id, table }, 'foreign keys kept for the bulk load: the tables they reference stayed in use; each row is checked as it is inserted');
    }
    return { dropForeignKeys: Date.now() - started };
  }

  /**
   * After a final transaction that rolled back: the foreign keys this import dropped come back at once
   * (the table holds what it held before), instead of when the import runs again. A failure here leaves
   * them recorded on the import, for that next run.
   */
  private async restoreForeignKeysAfterRollback(db: TenantDatabaseClient, importId: string): Promise<void> {
    try {
      await db.query('BEGIN');
      await restoreDroppedForeignKeys(db, importId);
      await db.query('COMMIT');
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      this.logger.warn({ importId, err: error }, 'could not restore the foreign keys dropped for the bulk load; the next run of the import does');
    }
  }

  /** Creates the staging table, or checks that what it holds is what the checkpoint says; otherwise starts over. */
  private async prepareStaging(db: TenantDatabaseClient, record: ImportRecord): Promise<StagingCheckpoint> {
    const leftOver = await dropStagingTablesOfFinishedImports(db);
    if (leftOver.length > 0) this.logger.info({ importIds: leftOver }, 'dropped the staging tables finished imports had left');
    await db.query(createStagingTableSql(record.entity, record.id));
    const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${stagingTableName(record.id)}"`);
    if (Number(rows[0]?.n ?? 0) === record.staging.stagedRows) return record.staging;
    // PostgreSQL truncates unlogged tables after a crash: the staged rows are gone, so stage again from the start.
    this.logger.warn({ importId: record.id, checkpoint: record.staging, staged: rows[0]?.n }, 'staging does not match the checkpoint; restaging from the start');
    await db.query('BEGIN');
    await db.query(`TRUNCATE "${stagingTableName(record.id)}"`);
    await db.query('DELETE FROM import_errors WHERE import_id = $1', [record.id]);
    await db.query(`UPDATE imports SET checkpoint = checkpoint - 'staging', rows_received = 0, rows_rejected = 0 WHERE id = $1`, [record.id]);
    await db.query('COMMIT');
    return EMPTY_CHECKPOINT;
  }

  /**
   * The final transaction: apply the staged rows (unless the import already failed), record the outcome
   * with the step timings (this run's staging, then each apply step), the processed event and the
   * outbound event, run the caller's hook; then publish and drop staging.
   */
  private async finish(
    db: TenantDatabaseClient,
    request: RunImportRequest,
    record: ImportRecord,
    startedAt: Date,
    failure: Omit<ImportOutcome, 'importId' | 'entity' | 'startedAt' | 'finishedAt' | 'ranNow'> | undefined,
    staged: StagingCheckpoint = EMPTY_CHECKPOINT,
    timings: Record<string, number> = {},
  ): Promise<ImportOutcome> {
    let outcome!: ImportOutcome;
    let event!: OutcomeEvent;
    await db.query('BEGIN');
    try {
      let result = failure;
      if (!result) {
        const applied = await this.apply(db, request, record, staged);
        Object.assign(timings, applied.timings);
        result = outcomeFields(applied, record, staged);
      } else {
        // Nothing is loaded: whatever an earlier run of the import dropped for its bulk load comes back.
        await restoreDroppedForeignKeys(db, record.id);
      }
      const finished = await db.query<{ finished_at: Date }>(
        `UPDATE imports SET status = $2, rows_received = $3, rows_loaded = $4, rows_rejected = $5, error_code = $6, error = $7, timings = $8::jsonb,
                rows_deleted = $9, finished_at = clock_timestamp()
          WHERE id = $1 RETURNING finished_at`,
        [record.id, result.status, result.rowsReceived, result.rowsLoaded, result.rowsRejected, result.errorCode, result.error, JSON.stringify(timings), result.rowsDeleted ?? 0],
      );
      outcome = { importId: record.id, entity: record.entity, ...result, startedAt, finishedAt: finished.rows[0]?.finished_at ?? new Date(), ranNow: true };
      if (request.eventId) await db.query('INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [CONSUMER, request.eventId]);
      event = await this.enqueueOutcome(db, request.tenant, outcome);
      await request.beforeCommit?.(db, outcome);
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    // The warehouse gets this import's loads only once they are committed (a rolled-back transaction
    // leaves nothing queued), and the tenant's loads reach it in commit order: the tenant's warehouse
    // lock is taken before COMMIT and held until they are delivered.
    let warehouseError: unknown;
    let delivered: string[] = [];
    await this.withWarehouseLock(db, request.tenant, async () => {
      try {
        await db.query('COMMIT');
      } catch (error) {
        await db.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      try {
        delivered = await this.deliverWarehouseLoads(db, request.tenant);
      } catch (error) {
        warehouseError = error;
      }
    });
    // A hand-over slower than the outbox sweeper's wait (a BigQuery load and MERGE) lets the sweeper
    // publish the completion event first, and a metrics run can then compute before the rows are there.
    if (delivered.length > 0 && (await this.publishedAlready(db, event))) await this.requestMetricsRun(request.tenant, delivered);
    await this.publishOutcome(request.tenant, event);
    await db.query(dropStagingTableSql(record.id));
    // Committed, but the warehouse has not got everything: the loads stay recorded on the import, and a
    // redelivery (or the tenant's next import) delivers them; failing here makes that redelivery come.
    if (warehouseError !== undefined) throw warehouseError;
    this.logger.info({ importId: record.id, status: outcome.status, rowsReceived: outcome.rowsReceived, rowsLoaded: outcome.rowsLoaded, rowsRejected: outcome.rowsRejected, errorCode: outcome.errorCode, durationMs: outcome.finishedAt.getTime() - startedAt.getTime() }, 'import finished');
    return outcome;
  }

  private async apply(db: TenantDatabaseClient, request: RunImportRequest, record: ImportRecord, staged: StagingCheckpoint): Promise<ApplyResult> {
    const result = await applyStagedRows(db, {
      importId: record.id,
      entity: record.entity,
      mode: record.mode,
      onUnknownReference: record.options.onUnknownReference,
      maxRejectedShare: record.options.maxRejectedShare,
      rowsReceived: staged.recordsRead,
      parseRejected: staged.parseRejected,
      sourceId: record.sourceId,
      deleteUnseenOfSource: request.deleteUnseenOfSource === true,
      maxDeleteShare: request.maxDeleteShare ?? 1,
      fieldsPresent: staged.fields,
      fieldsAbsentFromSomeRecords: staged.fieldsAbsentFromSomeRecords ?? [],
      fieldColumns: staged.fieldColumns ?? {},
      bulkLoadMinRows: this.config.loading.bulkLoadMinRows,
    });
    let started = Date.now();
    // Right after the insert rather than at the end: adding a key holds off writers of the table it
    // references until COMMIT, and the staged files below take seconds at millions of rows.
    if (await restoreDroppedForeignKeys(db, record.id)) {
      result.timings['restoreForeignKeys'] = Date.now() - started;
      started = Date.now();
    }
    if (result.decision === 'applied' && (result.rowsLoaded > 0 || result.rowsDeleted > 0)) {
      // The files are written inside the transaction (they copy what it stored) and the loads are recorded
      // on the import with the data; the warehouse is given them after COMMIT (finish), never before.
      const pending: PendingWarehouseLoad[] = [];
      for (const load of warehouseLoads(record, result)) {
        const file = await writeStagedFile(db, this.storage, load.entity, load.rows, importObjectKey(request.tenant.tenantId, record.id, load.objectName));
        pending.push({ entity: load.entity, mode: load.mode, objectUri: file.uri });
      }
      await db.query(`UPDATE imports SET checkpoint = COALESCE(checkpoint, '{}'::jsonb) || jsonb_build_object('warehouse', $2::jsonb) WHERE id = $1`, [
        record.id,
        JSON.stringify(pending),
      ]);
    }
    result.timings['stagedFileAndWarehouse'] = Date.now() - started;
    this.logger.info({ importId: record.id, timings: result.timings }, 'import applied');
    return result;
  }

  /**
   * Runs `work` holding the tenant's warehouse lock (a session advisory lock on the import's connection):
   * one import of a tenant at a time commits and hands its loads to the warehouse.
   */
  private async withWarehouseLock<T>(db: TenantDatabaseClient, tenant: TenantContext, work: () => Promise<T>): Promise<T> {
    return withSessionLock(db, `pulse.warehouse-loads:${tenant.tenantId}`, work);
  }

  /**
   * Gives the warehouse the loads of the tenant's committed imports that it has not got yet
   * (`imports.checkpoint.warehouse`), oldest import first, each import's in order; an import's record
   * goes once all of them are queued. A load given twice (a crash in between) is applied once: the
   * warehouse records the loads it applied. A load whose file lies outside the tenant's prefix is never
   * given (tenantObjectKey). Call holding the tenant's warehouse lock. Returns the imports whose loads
   * it delivered.
   */
  private async deliverWarehouseLoads(db: TenantDatabaseClient, tenant: TenantContext): Promise<string[]> {
    const { rows } = await db.query<{ id: string; loads: PendingWarehouseLoad[] }>(
      `SELECT id, checkpoint -> 'warehouse' AS loads FROM imports WHERE checkpoint ? 'warehouse' ORDER BY finished_at, id`,
    );
    for (const row of rows) {
      for (const load of row.loads) {
        this.tenantObjectKey(tenant, load.objectUri, `A staged warehouse load of import ${row.id}`);
        await this.warehouse.appendStaged({ tenant: { tenantId: tenant.tenantId, slug: tenant.slug }, entity: load.entity, importId: row.id, mode: load.mode, objectUri: load.objectUri });
      }
      // When the warehouse got them: an import that removed rows makes the next metrics run compute every
      // SKU if it was handed over after the live run started (productsTouchedSince), however late.
      await db.query(`UPDATE imports SET checkpoint = (checkpoint - 'warehouse') || jsonb_build_object('handedOverAt', now()) WHERE id = $1`, [row.id]);
    }
    return rows.map((row) => row.id);
  }

  /** Writes the outcome's event to the tenant outbox, in the transaction that records the outcome. */
  private async enqueueOutcome(db: TenantDatabaseClient, tenant: TenantContext, outcome: ImportOutcome): Promise<OutcomeEvent> {
    const metadata = { tenantId: tenant.tenantId, correlationId: tenant.correlationId ?? outcome.importId, eventId: randomUUID(), occurredAt: outcome.finishedAt };
    const counts = { rowsReceived: outcome.rowsReceived, rowsLoaded: outcome.rowsLoaded, rowsRejected: outcome.rowsRejected };
    const event: OutcomeEvent =
      outcome.status === 'failed'
        ? {
            contract: ingestionFailedV1,
            payload: { importId: outcome.importId, entity: outcome.entity, reason: outcome.errorCode ?? 'failed', message: outcome.error ?? '', ...counts, failedAt: outcome.finishedAt.toISOString() },
            metadata,
          }
        : {
            contract: ingestionCompletedV1,
            payload: { importId: outcome.importId, entity: outcome.entity, status: outcome.status, ...counts, startedAt: outcome.startedAt.toISOString(), finishedAt: outcome.finishedAt.toISOString() },
            metadata,
          };
    await enqueueEvent((sql, values) => db.query(sql, values), event.contract, event.payload, metadata);
    return event;
  }

  private async publishedAlready(db: TenantDatabaseClient, event: OutcomeEvent): Promise<boolean> {
    const { rows } = await db.query<{ published: boolean }>('SELECT published_at IS NOT NULL AS published FROM outbox WHERE event_id = $1', [event.metadata.eventId]);
    return rows[0]?.published === true;
  }

  /**
   * Asks metrics for another run (metrics.refresh-requested.v1, undated: today, coalesced with any other
   * queued for today) once the warehouse has rows a run may already have computed without: their import's
   * completion event went out before they were handed over. Through the outbox, like every event here.
   */
  private async requestMetricsRun(tenant: TenantContext, importIds: string[]): Promise<void> {
    const eventId = randomUUID();
    const payload: EventPayload<typeof metricsRefreshRequestedV1> = { runId: randomUUID(), reason: 'ingestion' };
    const metadata = { tenantId: tenant.tenantId, correlationId: tenant.correlationId ?? eventId, eventId, occurredAt: new Date() };
    await this.tenants.withTenantTransaction(tenant, (db) => enqueueEvent((sql, values) => db.query(sql, values), metricsRefreshRequestedV1, payload, metadata));
    this.logger.info({ tenantId: tenant.tenantId, importIds, runId: payload.runId }, 'warehouse got loads after their completion event went out; another metrics run requested');
    await publishAfterCommit(this.publisher, (sql, values) => this.tenants.query(tenant, sql, values), { contract: metricsRefreshRequestedV1, payload, metadata }, (error) =>
      this.logger.warn({ err: error, tenantId: tenant.tenantId, eventId }, 'metrics.refresh-requested.v1 not published; left in the tenant outbox'),
    );
  }

  /** After commit, like the api's requests (publishAfterCommit); if that fails, the tenant outbox sweeper publishes the row (same eventId). */
  private async publishOutcome(tenant: TenantContext, event: OutcomeEvent): Promise<void> {
    await publishAfterCommit(this.publisher, (sql, values) => this.tenants.query(tenant, sql, values), event, (error) =>
      this.logger.warn({ err: error, importId: event.payload.importId, eventId: event.metadata.eventId }, 'import outcome event not published; left in the tenant outbox'),
    );
  }
}

function outcomeFields(result: ApplyResult, record: ImportRecord, staged: StagingCheckpoint): Omit<ImportOutcome, 'importId' | 'entity' | 'startedAt' | 'finishedAt' | 'ranNow'> {
  const counts = { rowsReceived: staged.recordsRead, rowsLoaded: result.rowsLoaded, rowsRejected: result.rowsRejected, rowsDeleted: result.rowsDeleted };
  switch (result.decision) {
    case 'rejected_share_exceeded':
      return {
        status: 'failed',
        ...counts,
        errorCode: 'rejected_share_exceeded',
        error: `${result.rowsRejected} of ${staged.recordsRead} rows were rejected, more than the ${formatShare(record.options.maxRejectedShare)} allowed: nothing was loaded. See the import's errors.`,
      };
    case 'empty_replace':
      return {
        status: 'failed',
        ...counts,
        errorCode: 'empty_replace',
        error: 'A replace import needs at least one valid row: it would have deleted every row of the entity. Nothing was changed.',
      };
    case 'empty_full_read':
      return {
        status: 'failed',
        ...counts,
        errorCode: 'empty_full_read',
        error: `The source's full read had no valid row: it would have deleted all ${result.unseenOfSource?.unseen ?? 0} rows this source loaded (and what depends on them). Nothing was changed.`,
      };
    case 'delete_share_exceeded':
      return {
        status: 'failed',
        ...counts,
        errorCode: 'delete_share_exceeded',
        error: `The source's full read no longer has ${result.unseenOfSource?.unseen ?? 0} of the ${result.unseenOfSource?.rows ?? 0} rows this source loaded, more than the ${formatShare(result.unseenOfSource?.maxShare ?? 1)} its maxDeleteShare allows to delete at once. Nothing was changed; raise connection.maxDeleteShare (up to 1) if the source really lost them.`,
      };
    case 'applied':
      return { status: result.rowsRejected > 0 ? 'partially_succeeded' : 'succeeded', ...counts, errorCode: null, error: null };
  }
}

function formatShare(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}

function outcomeOf(record: ImportRecord, ranNow: boolean): ImportOutcome {
  return {
    importId: record.id,
    entity: record.entity,
    status: record.status as ImportOutcome['status'],
    rowsReceived: record.rowsReceived,
    rowsLoaded: record.rowsLoaded,
    rowsRejected: record.rowsRejected,
    errorCode: record.errorCode,
    error: record.error,
    startedAt: record.startedAt ?? record.finishedAt ?? new Date(0),
    finishedAt: record.finishedAt ?? new Date(0),
    ranNow,
  };
}

/** A load of a committed import the warehouse has not been given yet (`imports.checkpoint.warehouse`). */
interface PendingWarehouseLoad {
  entity: CanonicalEntity;
  mode: ImportMode;
  objectUri: string;
}

/**
 * What the warehouse must receive so that its tables keep matching the tenant's after this import:
 * the stub parents it created, the entity's rows as now stored (the whole table, as a replace, when
 * rows were deleted: a replace, or a source's delete detection; the whole table too after a load into
 * an empty table), and, when deleted parents took children with them, the whole of every table that
 * lost rows, as a replace.
 */
function warehouseLoads(record: ImportRecord, result: ApplyResult): Array<{ entity: CanonicalEntity; rows: StagedRows; mode: ImportMode; objectName: string }> {
  const stubs = (['customers', 'products'] as const).filter((entity) => (result.stubsCreated[entity] ?? 0) > 0);
  const replaced = record.mode === 'replace' || result.rowsDeleted > 0;
  return [
    ...stubs.map((entity) => ({ entity, rows: 'stubs' as const, mode: 'upsert' as const, objectName: `staged-stubs-${entity}.csv` })),
    { entity: record.entity, rows: replaced || result.loadedIntoEmptyTable ? 'all' : 'loaded', mode: replaced ? 'replace' : record.mode, objectName: 'staged.csv' },
    ...result.cascadedTo.map((entity) => ({ entity, rows: 'all' as const, mode: 'replace' as const, objectName: `staged-cascade-${entity}.csv` })),
  ];
}
