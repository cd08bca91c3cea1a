import { Inject, Injectable } from '@nestjs/common';
import { DEFAULT_MAX_DELETE_SHARE, importOptionsSchema, type ImportFormat } from '@pulse/contracts';
import {
  ConnectorError,
  openCredentials,
  openSource,
  SourceAddressPolicy,
  type OpenedSource,
  type SourceConnector,
  type SourcePage,
  type StreamState,
} from '@pulse/connectors';
import { SecretBox } from '@pulse/crypto';
import { DomainError } from '@pulse/errors';
import { assertValidKey, sourcesPrefix, type ObjectStorage } from '@pulse/object-storage';
import { TenantDatabasePool, type TenantDatabaseClient } from '@pulse/tenancy';
import { PinoLogger } from 'nestjs-pino';
import { Readable } from 'node:stream';
import { INGESTION_CONFIG, type IngestionConfig } from '../config/ingestion.config';
import { ImportLoader, ImportWithdrawnError } from '../imports/import-loader';
import type { ImportOutcome } from '../imports/import-outcome';
import { IMPORT_STORAGE } from '../imports/ingestion-dependencies';
import type { TenantProfile } from '../tenancy/tenant-directory';
import { mappedSourceColumns, readSourceOrThrow, SOURCE_STREAM, type SourceRow } from './source-row';
import { syncFailure } from './sync-failure';

/** Records per import of an incremental sync: each batch commits its data with its state, so a failure late in a long first sync keeps the batches before it. */
export const RECORDS_PER_IMPORT = 100_000;

/** How often a running sync looks at its source's `enabled` and settings version between pages. */
export const SETTINGS_CHECK_INTERVAL_MS = 1_000;

export interface SyncTotals {
  rowsRead: number;
  rowsLoaded: number;
  rowsRejected: number;
  rowsDeleted: number;
  filesLoaded: number;
  partial: boolean;
}

/**
 * Runs one sync of one source into the tenant database through the same loader as uploads: record pages
 * become NDJSON objects in the import storage, files are copied there as they are, and each import's
 * final transaction also advances `sync_states` and the sync's counters (the loader's `beforeCommit` hook:
 * docs/ingestion.md, "Loader entry point for source syncs"), so the saved position never gets ahead of the
 * data. A full read (full-refresh databases; sheets and REST sources with a primary key) is one import,
 * after which rows of this source it did not contain are deleted.
 */
@Injectable()
export class SourceSyncRunner {
  private readonly box: SecretBox;
  private readonly addresses: SourceAddressPolicy;

  constructor(
    private readonly tenants: TenantDatabasePool,
    private readonly loader: ImportLoader,
    private readonly logger: PinoLogger,
    @Inject(IMPORT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(INGESTION_CONFIG) config: IngestionConfig,
  ) {
    this.box = SecretBox.fromBase64(config.tenancy.secretsKey.reveal());
    this.addresses = SourceAddressPolicy.allowing(config.sources.allowedPrivateNetworks);
  }

  /** Runs the `source_syncs` row `syncId` (already claimed as running) to its end, recording the outcome. */
  async run(tenant: TenantProfile, sourceId: string, syncId: string): Promise<SyncTotals> {
    const totals: SyncTotals = { rowsRead: 0, rowsLoaded: 0, rowsRejected: 0, rowsDeleted: 0, filesLoaded: 0, partial: false };
    let opened: OpenedSource | null = null;
    try {
      const source = await this.tenants.withTenantClient(tenant.context, (db) => readSourceOrThrow(db, sourceId));
      // Paused between the scheduler's claim and this read: the run does not start (nothing is read or deleted).
      if (!source.enabled) throw new DomainError('conflict', 'source_disabled', SOURCE_DISABLED_MESSAGE);
      opened = await openSource(source.connection, openCredentials(this.box, source.credentials), {
        expectedColumns: source.columns ?? undefined,
        mappedColumns: source.columns ? mappedSourceColumns(source.entity, source.mapping, source.columns.map((column) => column.name)) : [],
        addresses: this.addresses,
      });
      if (source.columns === null) await this.recordColumns(tenant, source, opened);
      await this.readAll(tenant, source, syncId, opened, totals);
      await this.finish(tenant, sourceId, syncId, totals.partial ? 'partially_succeeded' : 'succeeded', null);
      return totals;
    } catch (error) {
      const scrubber = opened?.scrubber;
      const failure = syncFailure(error, (text) => (scrubber ? scrubber.scrub(text) : text), error instanceof DomainError || (await this.sourceExists(tenant, sourceId)));
      const { code, message } = failure;
      if (code === 'source_disabled' || code === SOURCE_CHANGED_DURING_SYNC) {
        // Pausing the source, or changing its connection or mapping, is the tenant's doing, not a failure
        // of the source: the run is recorded, with no failure count and no backoff for the next one.
        await this.tenants.query(tenant.context, `UPDATE source_syncs SET status = 'failed', error_code = $2, error = $3, finished_at = now() WHERE id = $1`, [syncId, code, message]);
        this.logger.info({ tenantId: tenant.context.tenantId, sourceId, syncId, errorCode: code }, code === 'source_disabled' ? 'source sync stopped: the source is paused' : 'source sync stopped: the source was changed while it ran');
        return totals;
      }
      await this.finish(tenant, sourceId, syncId, 'failed', { code, message });
      const internal = !(error instanceof DomainError);
      this.logger.warn({ tenantId: tenant.context.tenantId, sourceId, syncId, errorCode: code, error: message, ...(internal ? { err: error } : {}) }, 'source sync failed');
      throw failure;
    } finally {
      await opened?.close().catch(() => undefined);
    }
  }

  private async sourceExists(tenant: TenantProfile, sourceId: string): Promise<boolean> {
    const { rows } = await this.tenants.query(tenant.context, 'SELECT 1 FROM sources WHERE id = $1', [sourceId]).catch(() => ({ rows: [{}] }));
    return rows.length > 0;
  }

  /**
   * The columns the source has at its first sync (or the first after its connection or mapping changed)
   * become the reference for drift checks; not if the settings changed since this run read them.
   */
  private async recordColumns(tenant: TenantProfile, source: SourceRow, opened: OpenedSource): Promise<void> {
    const columns = (await opened.columns()).map(({ name, type }) => ({ name, type }));
    if (columns.length === 0) return;
    await this.tenants.query(tenant.context, 'UPDATE sources SET columns = $2::jsonb WHERE id = $1 AND columns IS NULL AND config_version = $3', [
      source.id,
      JSON.stringify(columns),
      source.configVersion,
    ]);
  }

  private fullRead(source: SourceRow): boolean {
    const connection = source.connection;
    if (connection.kind === 'files') return false;
    if (connection.kind === 'google_sheets' || connection.kind === 'rest') return connection.primaryKey.length > 0;
    return connection.syncMode === 'full_refresh';
  }

  private async readAll(tenant: TenantProfile, source: SourceRow, syncId: string, opened: OpenedSource, totals: SyncTotals): Promise<void> {
    const pages = new PageReader(opened.connector, source.state, this.settingsCheck(tenant, source));
    const detectDeletes = this.fullRead(source);
    for (let batch = 0; !pages.done; batch++) {
      const first = await pages.next();
      if (first.kind === 'empty') {
        await this.commitStateOnly(tenant, source, first.state);
        continue;
      }
      if (first.kind === 'file') {
        const key = this.objectKey(tenant, source, syncId, batch, first.file.format);
        const stored = await this.storage.put(key, await first.file.open());
        await this.load(tenant, source, syncId, stored.uri, first.file.format, first.state, { records: 0, files: 1, deletes: false }, totals);
        continue;
      }
      // Records: this page and the following ones, up to the batch size (a full read: all of them).
      let records = 0;
      let state: StreamState = first.state;
      const limit = detectDeletes ? Number.POSITIVE_INFINITY : RECORDS_PER_IMPORT;
      async function* lines(): AsyncGenerator<string> {
        let page: SourcePage = first;
        for (;;) {
          if (page.kind === 'records') {
            for (const record of page.records) yield `${JSON.stringify(record)}\n`;
            records += page.records.length;
          }
          state = page.state;
          if (pages.done || records >= limit) return;
          page = await pages.next();
          if (page.kind === 'file') throw new ConnectorError('source_request_failed', 'A records source returned a file page');
        }
      }
      const key = this.objectKey(tenant, source, syncId, batch, 'ndjson');
      const stored = await this.storage.put(key, Readable.from(lines()), { contentType: 'application/x-ndjson' });
      if (records === 0 && !detectDeletes) {
        // Nothing new (e.g. a lookback re-read whose rows were all delivered before): no import, just the position.
        await this.storage.delete(key);
        await this.commitStateOnly(tenant, source, state);
        continue;
      }
      await this.load(tenant, source, syncId, stored.uri, 'ndjson', state, { records, files: 0, deletes: detectDeletes }, totals);
    }
  }

  /**
   * Checked before each page, at most once per SETTINGS_CHECK_INTERVAL_MS: a source paused or changed
   * while it is read stops its run at the next page instead of reading to the end for nothing (the
   * commit checks it again, under the source row's lock: saveState).
   */
  private settingsCheck(tenant: TenantProfile, source: SourceRow): () => Promise<void> {
    let checkedAt = Date.now();
    return async () => {
      if (Date.now() - checkedAt < SETTINGS_CHECK_INTERVAL_MS) return;
      checkedAt = Date.now();
      const { rows } = await this.tenants.query<{ enabled: boolean; config_version: number }>(tenant.context, 'SELECT enabled, config_version FROM sources WHERE id = $1', [source.id]);
      const withdrawn = withdrawal(source, rows[0]);
      if (withdrawn) throw withdrawn;
    };
  }

  private objectKey(tenant: TenantProfile, source: SourceRow, syncId: string, batch: number, format: ImportFormat): string {
    return assertValidKey(`${sourcesPrefix(tenant.context.tenantId)}${source.id}/syncs/${syncId}/${String(batch).padStart(5, '0')}.${format}`);
  }

  private async load(
    tenant: TenantProfile,
    source: SourceRow,
    syncId: string,
    objectUri: string,
    format: ImportFormat,
    state: StreamState,
    batch: { records: number; files: number; deletes: boolean },
    totals: SyncTotals,
  ): Promise<void> {
    const outcome = await this.loader.load(
      tenant.context,
      tenant.timezone,
      { entity: source.entity, format, objectUri, mapping: source.mapping, mode: 'upsert', options: importOptionsSchema.parse({}), sourceId: source.id },
      async (db, result) => {
        // A failed import loaded nothing: the position stays where it was, so the next run reads these rows again.
        if (result.status === 'failed') return;
        const deleted = result.rowsDeleted ?? 0;
        await saveState(db, source, state, result);
        await db.query(
          `UPDATE source_syncs SET rows_read = rows_read + $2, rows_loaded = rows_loaded + $3, rows_rejected = rows_rejected + $4,
                  rows_deleted = rows_deleted + $5, files_loaded = files_loaded + $6, import_ids = array_append(import_ids, $7::uuid)
            WHERE id = $1`,
          [syncId, batch.files > 0 ? result.rowsReceived : batch.records, result.rowsLoaded, result.rowsRejected, deleted, batch.files, result.importId],
        );
        totals.rowsDeleted += deleted;
      },
      // Delete detection of a full read runs in the loader's final transaction, so that the warehouse loads
      // it queues after commit carry the deletes (and what cascaded from them) too.
      { deleteUnseenOfSource: batch.deletes, maxDeleteShare: ('maxDeleteShare' in source.connection ? source.connection.maxDeleteShare : undefined) ?? DEFAULT_MAX_DELETE_SHARE },
    );
    if (outcome.status === 'failed') {
      throw new DomainError('unprocessable', outcome.errorCode ?? 'import_failed', `Import ${outcome.importId} of this sync failed: ${outcome.error ?? outcome.errorCode}`);
    }
    totals.rowsRead += batch.files > 0 ? outcome.rowsReceived : batch.records;
    totals.rowsLoaded += outcome.rowsLoaded;
    totals.rowsRejected += outcome.rowsRejected;
    totals.filesLoaded += batch.files;
    totals.partial ||= outcome.status === 'partially_succeeded';
  }

  /** A page that carried no data but moved the position (e.g. files that disappeared were forgotten). */
  private async commitStateOnly(tenant: TenantProfile, source: SourceRow, state: StreamState): Promise<void> {
    // A transaction: the source row's lock (saveState) must be held until the position is committed.
    await this.tenants.withTenantTransaction(tenant.context, (db) => saveState(db, source, state, null));
  }

  private async finish(tenant: TenantProfile, sourceId: string, syncId: string, status: 'succeeded' | 'partially_succeeded' | 'failed', error: { code: string; message: string } | null): Promise<void> {
    await this.tenants.withTenantTransaction(tenant.context, async (db) => {
      await db.query(`UPDATE source_syncs SET status = $2, error_code = $3, error = $4, finished_at = now() WHERE id = $1`, [syncId, status, error?.code ?? null, error?.message ?? null]);
      await db.query(
        `UPDATE sources SET consecutive_failures = CASE WHEN $2 THEN consecutive_failures + 1 ELSE 0 END WHERE id = $1`,
        [sourceId, status === 'failed'],
      );
      if (error) {
        await db.query(`UPDATE sync_states SET last_status = 'failed', last_error = $2, updated_at = now() WHERE source_id = $1 AND stream = $3`, [sourceId, error.message, SOURCE_STREAM]);
      }
    });
  }
}

/** What a run of a source paused before it started records (here, and by the scheduler for queued runs). */
export const SOURCE_DISABLED_MESSAGE = 'The source was paused before this run started; nothing was read or deleted.';

/** What a run records when its source is paused while it reads (seen between pages, or at its commit). */
const SOURCE_PAUSED_DURING_SYNC_MESSAGE =
  'The source was paused while this run read it: what it read since its last commit was not loaded (nothing of a full read, so nothing was deleted) ' +
  'and its position was not saved. Rows committed before the pause stay; the first run after the source is enabled again reads from the last saved position.';

/** Why a run stops when its source's connection or mapping was changed (PATCH) while it ran. */
export const SOURCE_CHANGED_DURING_SYNC = 'source_changed_during_sync';

/**
 * Why the run must stop, if the tenant paused the source or changed its connection or mapping since the
 * run read its settings (`settings` is the source row as it is now; null when the source is gone, which is
 * left to the foreign keys of what the run writes next: `source_deleted`).
 */
function withdrawal(source: SourceRow, settings: { enabled: boolean; config_version: number } | undefined): ImportWithdrawnError | null {
  if (settings === undefined) return null;
  if (settings.config_version !== source.configVersion) {
    return new ImportWithdrawnError(
      SOURCE_CHANGED_DURING_SYNC,
      "The source's connection or mapping was changed while this sync ran: what it read since its last commit was not loaded and its position was not saved " +
        '(it was read with the settings that were replaced). Rows committed before the change stay. The next sync reads with the new settings: ' +
        'from the start after a new connection, from the last saved position after a new mapping.',
    );
  }
  if (!settings.enabled) return new ImportWithdrawnError('source_disabled', SOURCE_PAUSED_DURING_SYNC_MESSAGE);
  return null;
}

/**
 * Saves the position, in the caller's transaction, only if the source is still enabled with the settings
 * version this run started with. The source row is locked (FOR SHARE) until that transaction ends, and a
 * PATCH (of the connection, or of `enabled`) updates that row before it deletes the position: either this
 * commit comes first and the PATCH then deletes what it saved, or the PATCH comes first and this sees it.
 * Otherwise a run that started before the PATCH would write the old connection's high-water mark back over
 * the dropped position, and the new connection's older rows would never be read; and a source paused
 * because it was sending wrong data would still have applied its run (a full read's deletes included). On
 * a withdrawal nothing of this transaction commits (data included).
 */
async function saveState(db: TenantDatabaseClient, source: SourceRow, state: StreamState, outcome: ImportOutcome | null): Promise<void> {
  const { rows } = await db.query<{ enabled: boolean; config_version: number }>('SELECT enabled, config_version FROM sources WHERE id = $1 FOR SHARE', [source.id]);
  const withdrawn = withdrawal(source, rows[0]);
  if (withdrawn) throw withdrawn;
  await db.query(
    `INSERT INTO sync_states (source_id, stream, entity, cursor, last_import_id, last_status, last_error, last_synced_at, updated_at)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, NULL, now(), now())
     ON CONFLICT (source_id, stream) DO UPDATE SET entity = EXCLUDED.entity, cursor = EXCLUDED.cursor,
       last_import_id = COALESCE(EXCLUDED.last_import_id, sync_states.last_import_id), last_status = EXCLUDED.last_status,
       last_error = NULL, last_synced_at = now(), updated_at = now()`,
    [source.id, SOURCE_STREAM, source.entity, JSON.stringify(state), outcome?.importId ?? null, outcome?.status ?? 'succeeded'],
  );
}

/** Pages of one sync, each read with the state of the one before (the first with the committed state). */
class PageReader {
  done = false;
  private state: StreamState | null;
  private started = false;

  constructor(
    private readonly connector: SourceConnector,
    committed: StreamState | null,
    private readonly beforeRead: () => Promise<void>,
  ) {
    this.state = committed;
  }

  async next(): Promise<SourcePage> {
    await this.beforeRead();
    const page = await this.connector.readPage(this.state, { syncStart: !this.started });
    this.started = true;
    this.state = page.state;
    this.done = page.done;
    return page;
  }
}
