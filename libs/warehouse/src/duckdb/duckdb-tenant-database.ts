import { resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { errorMessage, WarehouseError } from '../warehouse-error';
import { APPLIED_LOADS_TABLE } from '../warehouse-tables';
import { migrateDuckDbSchema } from './duckdb-schema';
import { mergeStagedSql, readStagedSql, sqlString, STAGED_TABLE } from './duckdb-sql';
import type { InboxEntry } from './load-inbox';

export interface DuckDbInstanceSettings {
  /** DuckDB worker threads per tenant database (default: DuckDB's, the number of cores). */
  threads?: number;
  /** e.g. '2GB'; beyond it DuckDB spills to `<file>.tmp` (default: DuckDB's, 80% of RAM). */
  memoryLimit?: string;
}

/**
 * Files open in this process. DuckDB's OS lock keeps other processes out but not a second instance in
 * the same process, which would corrupt the file: two DuckDbWarehouse objects on one directory get
 * warehouse_busy instead.
 */
const OPEN_IN_THIS_PROCESS = new Set<string>();

/**
 * One tenant's DuckDB file, opened read-write by this process. DuckDB takes an OS lock on the file, so a
 * second process that tries to open it fails (warehouse_busy) instead of corrupting it: this process is
 * the tenant's single writer while the file is open.
 */
export class DuckDbTenantDatabase {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly path: string,
  ) {}

  static async open(path: string, settings: DuckDbInstanceSettings): Promise<DuckDbTenantDatabase> {
    const key = resolve(path);
    if (OPEN_IN_THIS_PROCESS.has(key)) {
      throw new WarehouseError('warehouse_busy', `The warehouse file ${path} is already open in this process (another DuckDbWarehouse)`);
    }
    OPEN_IN_THIS_PROCESS.add(key);
    try {
      return await DuckDbTenantDatabase.openUnguarded(path, settings);
    } catch (error) {
      OPEN_IN_THIS_PROCESS.delete(key);
      throw error;
    }
  }

  private static async openUnguarded(path: string, settings: DuckDbInstanceSettings): Promise<DuckDbTenantDatabase> {
    const options: Record<string, string> = {};
    if (settings.threads !== undefined) options['threads'] = String(settings.threads);
    if (settings.memoryLimit !== undefined) options['memory_limit'] = settings.memoryLimit;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, options);
    } catch (error) {
      const message = errorMessage(error);
      if (/lock/i.test(message)) {
        throw new WarehouseError('warehouse_busy', `The warehouse file ${path} is open in another process: ${message}`, { cause: error });
      }
      throw new WarehouseError('warehouse_query_failed', `Cannot open warehouse file ${path}: ${message}`, { cause: error });
    }
    const connection = await instance.connect();
    try {
      // Instants are stored and printed in UTC; metrics cut days in the tenant's zone explicitly.
      await connection.run(`SET TimeZone = 'UTC'`);
      await migrateDuckDbSchema(connection);
    } catch (error) {
      connection.closeSync();
      instance.closeSync();
      throw new WarehouseError('warehouse_query_failed', `Cannot prepare warehouse file ${path}: ${errorMessage(error)}`, { cause: error });
    }
    return new DuckDbTenantDatabase(instance, connection, path);
  }

  /**
   * The entry, or the same load handed over again: a caller that died between handing a load over and
   * recording that it had (ingestion) hands it over once more, as a new entry. An import hands over at
   * most one load per entity and mode, so those name the load; applied twice, its rows without a key
   * would be appended twice.
   */
  private async isApplied(entry: InboxEntry): Promise<boolean> {
    const { importId, entity, mode } = entry.manifest;
    const reader = await this.connection.runAndReadAll(
      `SELECT count(*) FROM ${APPLIED_LOADS_TABLE}
        WHERE inbox_entry = ${sqlString(entry.id)} OR (import_id = ${sqlString(importId)} AND entity = ${sqlString(entity)} AND mode = ${sqlString(mode)})`,
    );
    return Number(reader.getRows()[0][0]) > 0;
  }

  /**
   * Applies one queued load in one transaction with its record in the applied-loads table, so it is
   * applied exactly once even if the process dies before the inbox entry is removed.
   * Returns false when the entry had already been applied.
   */
  async applyLoad(entry: InboxEntry): Promise<boolean> {
    if (await this.isApplied(entry)) return false;
    const { entity, mode, importId } = entry.manifest;
    await this.connection.run('BEGIN TRANSACTION');
    try {
      await this.connection.run(readStagedSql(entity, entry.dataPath));
      for (const statement of mergeStagedSql(entity, mode)) await this.connection.run(statement);
      await this.connection.run(
        `INSERT INTO ${APPLIED_LOADS_TABLE} VALUES (${sqlString(entry.id)}, ${sqlString(importId)}, ${sqlString(entity)}, ${sqlString(mode)}, now())`,
      );
      await this.connection.run('COMMIT');
    } catch (error) {
      await this.connection.run('ROLLBACK');
      throw new WarehouseError(
        'warehouse_load_failed',
        `Loading ${entity} for import ${importId} (${mode}, inbox entry ${entry.manifestPath}) failed; nothing of it was applied: ${errorMessage(error)}`,
        { cause: error, load: { entity, importId } },
      );
    } finally {
      await this.connection.run(`DROP TABLE IF EXISTS ${STAGED_TABLE}`);
    }
    return true;
  }

  close(): void {
    try {
      this.connection.closeSync();
      this.instance.closeSync();
    } finally {
      OPEN_IN_THIS_PROCESS.delete(resolve(this.path));
    }
  }
}
