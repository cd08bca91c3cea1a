import { CANONICAL_ENTITY_SPECS, type CanonicalEntity, type ImportMapping } from '@pulse/contracts';
import { parseImportStream, type RowRejection } from '@pulse/parsing';
import type { TenantDatabaseClient } from '@pulse/tenancy';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { insertImportErrors } from '../import-errors';
import { stagingLine } from './staging-row';
import { copyIntoStagingSql, stagingFields } from './staging-table';

/** How far staging got, committed with the rows it describes (imports.checkpoint). */
export interface StagingCheckpoint {
  /** Data records consumed from the file (staged + rejected): the parser's skipRecords on resume. */
  recordsRead: number;
  lastLine: number;
  stagedRows: number;
  /** Rows rejected while parsing (already in import_errors). */
  parseRejected: number;
  /** Canonical fields the file has (mapped columns and constants): an upsert updates only these. */
  fields: string[];
  /**
   * Fields some NDJSON record leaves out (staging's `absent`): an upsert keeps their stored value on those
   * records' rows. Empty for CSV. Missing from checkpoints written before it existed.
   */
  fieldsAbsentFromSomeRecords?: string[];
  /**
   * The file's name for each field a column feeds (ParsedBatch.fieldColumns: the CSV header as written),
   * for the loader's rejects. Missing from checkpoints written before it existed.
   */
  fieldColumns?: Record<string, string>;
}

const MAX_BUFFERED_REJECTS = 5_000;

export const EMPTY_CHECKPOINT: StagingCheckpoint = { recordsRead: 0, lastLine: 0, stagedRows: 0, parseRejected: 0, fields: [], fieldsAbsentFromSomeRecords: [], fieldColumns: {} };

export interface StageFileInput {
  importId: string;
  entity: CanonicalEntity;
  format: 'csv' | 'ndjson';
  mapping: ImportMapping | undefined;
  timezone: string;
  file: Readable;
  /** Where a previous attempt stopped; its records are skipped by the parser. */
  resumeFrom: StagingCheckpoint;
  batchRows: number;
  checkpointRows: number;
  /** Called after each committed window (tests inject a crash here). */
  onCheckpoint?: (checkpoint: StagingCheckpoint) => Promise<void> | void;
  /** Aborted: staging stops before the next batch, the open window rolled back (shutdown). */
  signal?: AbortSignal;
}

/**
 * Streams the file through the parser into the staging table. Rows are written to one COPY per window
 * of `checkpointRows` rows while the parser keeps reading (PostgreSQL parses the COPY on its own core);
 * each window commits its rows, its rejects (import_errors) and the checkpoint in one transaction, so a
 * crash loses at most the open window and a restart resumes exactly after the last commit.
 */
export async function stageFile(db: TenantDatabaseClient, input: StageFileInput): Promise<StagingCheckpoint> {
  const fields = stagingFields(input.entity);
  let committed = input.resumeFrom;
  const present = new Set(committed.fields ?? []);
  const recordAbsent = input.format === 'ndjson';
  const absentSomewhere = new Set(committed.fieldsAbsentFromSomeRecords ?? []);
  let fieldColumns: Record<string, string> = { ...committed.fieldColumns };
  const columnOf = (field: string): string => fieldColumns[field] ?? field;
  const keyFields = CANONICAL_ENTITY_SPECS[input.entity].key;
  let window: StagingWindow | undefined;
  // A window's transaction, from its BEGIN until its COMMIT has returned: rolled back if anything fails in between.
  let inTransaction = false;

  const open = async (): Promise<StagingWindow> => {
    await db.query('BEGIN');
    inTransaction = true;
    const opened: StagingWindow = {
      copy: db.query(copyFrom(copyIntoStagingSql(input.entity, input.importId))),
      failure: undefined,
      staged: 0,
      rejects: [],
      records: committed.recordsRead,
      lastLine: committed.lastLine,
    };
    // The COPY reports its failure (PostgreSQL refusing the data, the connection lost, the CopyFail that
    // abort() sends) as an 'error' event, at any time, also while the parser is reading the file: unheard,
    // that event would take the whole process down with every other tenant's import. It is kept and
    // rethrown by the loop below, by commit() or ignored by abort().
    opened.copy.on('error', (error: Error) => {
      opened.failure ??= error;
    });
    return opened;
  };

  const commit = async () => {
    if (!window) return;
    const current = window;
    if (current.failure) throw current.failure;
    current.copy.end();
    await finished(current.copy);
    window = undefined;
    await insertImportErrors(db, input.importId, current.rejects);
    const next: StagingCheckpoint = {
      recordsRead: current.records,
      lastLine: current.lastLine,
      stagedRows: committed.stagedRows + current.staged,
      parseRejected: committed.parseRejected + current.rejects.length,
      fields: [...present].sort(),
      fieldsAbsentFromSomeRecords: [...absentSomewhere].sort(),
      fieldColumns,
    };
    await db.query(
      `UPDATE imports SET checkpoint = COALESCE(checkpoint, '{}'::jsonb) || jsonb_build_object('staging', $2::jsonb),
              rows_received = $3, rows_rejected = $4 WHERE id = $1`,
      [input.importId, JSON.stringify(next), next.recordsRead, next.parseRejected],
    );
    await db.query('COMMIT');
    inTransaction = false;
    committed = next;
    await input.onCheckpoint?.(next);
  };

  /**
   * Undoes the open window: a COPY still running is cancelled (CopyFail) and awaited until PostgreSQL has
   * answered, so that the connection has left COPY mode before the ROLLBACK, and goes back to the pool
   * with no transaction open. Its rows were never committed: nothing of the window remains.
   */
  const abort = async () => {
    const current = window;
    window = undefined;
    if (current && !current.failure && !current.copy.destroyed) {
      current.copy.destroy();
      await finished(current.copy).catch(() => undefined);
    }
    if (inTransaction) {
      inTransaction = false;
      await db.query('ROLLBACK').catch(() => undefined);
    }
  };

  try {
    const batches = parseImportStream(input.file, {
      entity: input.entity,
      format: input.format,
      mapping: input.mapping,
      timezone: input.timezone,
      skipRecords: committed.recordsRead,
      batchSize: input.batchRows,
    });
    for await (const batch of batches) {
      input.signal?.throwIfAborted();
      window ??= await open();
      if (window.failure) throw window.failure;
      fieldColumns = { ...fieldColumns, ...batch.fieldColumns };
      let chunk = '';
      for (const row of batch.rows) {
        // The parser gives each row the fields the file has (a missing column is absent, an empty cell null).
        for (const field in row.values) present.add(field);
        if (recordAbsent) for (const field of fields) if (!(field in row.values)) absentSomewhere.add(field);
        const line = stagingLine(row, fields, { recordAbsent, columnOf, keyFields });
        if (typeof line === 'string') {
          chunk += line;
          window.staged += 1;
        } else {
          window.rejects.push(line);
        }
      }
      window.rejects.push(...batch.rejects);
      window.records = batch.recordsRead;
      window.lastLine = batch.lastLine;
      if (chunk.length > 0 && !window.copy.write(chunk)) await once(window.copy, 'drain');
      // Rejects wait in memory for the window's commit (the connection is busy with the COPY): a file of
      // mostly bad rows commits more often rather than holding more of them.
      if (window.staged + window.rejects.length >= input.checkpointRows || window.rejects.length >= MAX_BUFFERED_REJECTS) await commit();
    }
    if (!window && committed === input.resumeFrom) {
      // A file of no records at all still gets a checkpoint, so a resume knows it read to the end.
      window = await open();
    }
    await commit();
    return committed;
  } catch (error) {
    await abort();
    // The parser stopped early: the rest of the file is not going to be read.
    input.file.destroy();
    throw error;
  }
}

interface StagingWindow {
  copy: Writable;
  /** The COPY's error, once it has failed (the stream's 'error' event). */
  failure: Error | undefined;
  staged: number;
  rejects: RowRejection[];
  records: number;
  lastLine: number;
}
