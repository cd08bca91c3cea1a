import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertSafeName, localPathOf, type FetchObject } from '../object-uri';
import { assertStagedHeader } from '../staged-file-header';
import { stoppedOnAbort } from '../abortable';
import type { ApplyLoadsOptions, ExportOptions, ExportResult, QueryOptions, StagedLoad, Warehouse, WarehouseRow, WarehouseTenant } from '../warehouse';
import { errorMessage, WarehouseError } from '../warehouse-error';
import { KeyedMutex } from '../keyed-mutex';
import { sqlString } from './duckdb-sql';
import { DuckDbTenantDatabase, type DuckDbInstanceSettings } from './duckdb-tenant-database';
import { readWarehouseRows } from './duckdb-values';
import { linkOrCopy, LoadInbox } from './load-inbox';

export interface DuckDbWarehouseOptions extends DuckDbInstanceSettings {
  /** Folder of the tenants' files: `<directory>/<tenantId>.duckdb` and `<directory>/<tenantId>/inbox/`. */
  directory: string;
  /** Downloads a gs:// staged object into a local file (the caller's object storage); file:// needs none. */
  fetchObject?: FetchObject;
  /** Tenant files kept open at once; the least recently used idle one is closed beyond it (default 8). */
  maxOpenTenants?: number;
  /**
   * A tenant file unused for this long is closed (default 30 s), releasing DuckDB's lock so that another
   * process (a benchmark, a one-off tool) can open it between metric runs.
   */
  idleCloseMs?: number;
}

/**
 * The DuckDB warehouse: one database file per tenant.
 *
 * Writers and readers: DuckDB lets one process open a file read-write, and ingestion and metrics are
 * separate processes. So `appendStaged` (ingestion) never opens the file: it drops the staged CSV into
 * the tenant's inbox. The process that calls `applyPendingLoads`, `execute`, `query` or `exportQuery`
 * (metrics) opens the file and is its single writer; it applies the inbox before computing. Within
 * this process every call for a tenant runs on that tenant's one connection, one at a time, in call
 * order (a per-tenant mutex): a query never sees a half-applied load, and loads never interleave with
 * a metric's statements. Each query uses DuckDB's own parallelism, and different tenants run
 * concurrently. Use one DuckDbWarehouse per process for a directory.
 */
export class DuckDbWarehouse implements Warehouse {
  readonly dialect = 'duckdb' as const;
  private readonly inbox: LoadInbox;
  private readonly mutex = new KeyedMutex();
  /** Open tenant files, least recently used first (Map keeps insertion order; a use re-inserts). */
  private readonly databases = new Map<string, DuckDbTenantDatabase>();
  private readonly idleTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: DuckDbWarehouseOptions) {
    this.inbox = new LoadInbox(options.directory);
  }

  /** The path of a tenant's DuckDB file. */
  databasePath(tenant: WarehouseTenant): string {
    assertSafeName('Tenant id', tenant.tenantId);
    return path.join(this.options.directory, `${tenant.tenantId}.duckdb`);
  }

  async appendStaged(load: StagedLoad): Promise<void> {
    this.assertOpen();
    const localPath = localPathOf(load.objectUri);
    const fetchObject = this.options.fetchObject;
    if (localPath === undefined && fetchObject === undefined) {
      throw new WarehouseError(
        'warehouse_invalid_request',
        `Cannot read staged object ${load.objectUri}: only file:// URIs are readable without a fetchObject function`,
      );
    }
    await this.inbox.enqueue(
      load,
      (destination) => (localPath !== undefined ? linkOrCopy(localPath, destination) : fetchObject!(load.objectUri, destination)),
      (dataPath) => assertStagedHeader(dataPath, load.entity),
    );
  }

  /** An interrupted load is rolled back (applyLoad's transaction) and stays in the inbox for the next call. */
  applyPendingLoads(tenant: WarehouseTenant, options: ApplyLoadsOptions = {}): Promise<{ applied: number }> {
    const { signal } = options;
    return this.withDatabase(tenant, (database) =>
      stoppedOnAbort(signal, () => database.connection.interrupt(), async () => {
        let applied = 0;
        for (const entry of await this.inbox.pending(tenant.tenantId)) {
          signal?.throwIfAborted();
          if (await database.applyLoad(entry)) applied += 1;
          await this.inbox.remove(entry);
        }
        return { applied };
      }),
    );
  }

  execute(tenant: WarehouseTenant, sql: string, options: QueryOptions): Promise<void> {
    return this.withDatabase(tenant, async (database) => {
      await this.run(database, options, () => database.connection.run(sql));
    });
  }

  query<T = WarehouseRow>(tenant: WarehouseTenant, sql: string, options: QueryOptions): Promise<T[]> {
    return this.withDatabase(tenant, async (database) => {
      const reader = await this.run(database, options, () => database.connection.runAndReadAll(sql));
      return readWarehouseRows(reader) as T[];
    });
  }

  /**
   * COPY (query) TO a CSV with header: NULL is written empty and unquoted, an empty string as "" — what
   * PostgreSQL's COPY FROM (FORMAT csv) reads back as NULL and '' respectively. Timestamps are written
   * as '2024-01-02 03:04:05.123+00' (UTC), which PostgreSQL reads into timestamptz. The file appears
   * complete or not at all (written beside and renamed).
   */
  exportQuery(tenant: WarehouseTenant, sql: string, options: ExportOptions): Promise<ExportResult> {
    const destination = localExportPath(options.destination);
    if (destination === undefined) {
      return Promise.reject(
        new WarehouseError('warehouse_invalid_request', `The DuckDB warehouse exports to local files; got ${options.destination}`),
      );
    }
    return this.withDatabase(tenant, async (database) => {
      await mkdir(path.dirname(destination), { recursive: true });
      const temporary = `${destination}.${randomUUID()}.partial`;
      try {
        const result = await this.run(database, options, () =>
          database.connection.runAndReadAll(
            `COPY (${withoutTrailingSemicolon(sql)}) TO ${sqlString(temporary)} (FORMAT csv, HEADER, DELIMITER ',')`,
          ),
        );
        await rename(temporary, destination);
        return { rows: Number(result.getRows()[0]?.[0] ?? 0), location: destination };
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    });
  }

  /** Deletes the tenant's DuckDB file and queued loads (offboarding). Idempotent. */
  dropTenant(tenant: WarehouseTenant): Promise<void> {
    this.assertOpen();
    const file = this.databasePath(tenant);
    return this.mutex.run(tenant.tenantId, async () => {
      this.databases.get(tenant.tenantId)?.close();
      this.databases.delete(tenant.tenantId);
      await rm(file, { force: true });
      await rm(`${file}.wal`, { force: true });
      await rm(this.inbox.tenantDir(tenant.tenantId), { recursive: true, force: true });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    // Each tenant closes after the work already queued for it.
    await Promise.all(
      [...this.databases.keys()].map((tenantId) =>
        this.mutex.run(tenantId, async () => {
          this.databases.get(tenantId)?.close();
          this.databases.delete(tenantId);
        }),
      ),
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new WarehouseError('warehouse_invalid_request', 'The warehouse is closed');
  }

  private withDatabase<T>(tenant: WarehouseTenant, work: (database: DuckDbTenantDatabase) => Promise<T>): Promise<T> {
    try {
      this.assertOpen();
      assertSafeName('Tenant id', tenant.tenantId);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.mutex.run(tenant.tenantId, async () => {
      this.assertOpen();
      let database = this.databases.get(tenant.tenantId);
      if (database === undefined) {
        await mkdir(this.options.directory, { recursive: true });
        database = await DuckDbTenantDatabase.open(this.databasePath(tenant), this.options);
        this.evictIdle(tenant.tenantId);
      }
      this.databases.delete(tenant.tenantId);
      this.databases.set(tenant.tenantId, database);
      try {
        return await work(database);
      } finally {
        this.scheduleIdleClose(tenant.tenantId);
      }
    });
  }

  private scheduleIdleClose(tenantId: string): void {
    clearTimeout(this.idleTimers.get(tenantId));
    const timer = setTimeout(() => {
      this.idleTimers.delete(tenantId);
      // Work queued for the tenant reschedules this when it ends; closing now would only reopen.
      if (this.mutex.isBusy(tenantId)) return;
      this.databases.get(tenantId)?.close();
      this.databases.delete(tenantId);
    }, this.options.idleCloseMs ?? 30_000);
    timer.unref();
    this.idleTimers.set(tenantId, timer);
  }

  /** Closes least recently used tenant files beyond maxOpenTenants, each after its queued work. */
  private evictIdle(current: string): void {
    const limit = this.options.maxOpenTenants ?? 8;
    const excess = this.databases.size + 1 - limit;
    if (excess <= 0) return;
    const victims = [...this.databases.keys()].filter((tenantId) => tenantId !== current && !this.mutex.isBusy(tenantId)).slice(0, excess);
    for (const tenantId of victims) {
      const database = this.databases.get(tenantId);
      this.databases.delete(tenantId);
      database?.close();
    }
  }

  /** Runs a statement on the tenant's connection; an aborted `signal` interrupts it (DuckDB rolls it back). */
  private run<T>(database: DuckDbTenantDatabase, { label, signal }: QueryOptions, statement: () => Promise<T>): Promise<T> {
    return stoppedOnAbort(signal, () => database.connection.interrupt(), async () => {
      try {
        return await statement();
      } catch (error) {
        throw new WarehouseError('warehouse_query_failed', `${label}: ${errorMessage(error)}`, { cause: error });
      }
    });
  }
}

/** A local path or file:// URI as an absolute path; undefined for other URIs (gs://...). */
function localExportPath(destination: string): string | undefined {
  if (destination.startsWith('file://')) return fileURLToPath(destination);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(destination)) return undefined;
  return path.resolve(destination);
}

function withoutTrailingSemicolon(sql: string): string {
  return sql.trim().replace(/;+\s*$/, '');
}
