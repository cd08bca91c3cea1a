import { randomUUID } from 'node:crypto';
import type { BigQuery, Job, JobRequest } from '@google-cloud/bigquery';
import { CANONICAL_ENTITIES, type CanonicalEntity } from '@pulse/contracts';
import type { ExportOptions, ExportResult, QueryOptions, StagedLoad, Warehouse, WarehouseRow, WarehouseTenant } from '../warehouse';
import { errorMessage, WarehouseError } from '../warehouse-error';
import { APPLIED_LOADS_TABLE, LOADED_AT_COLUMN, warehouseColumnType, warehouseTableSpec } from '../warehouse-tables';
import { assertSafeName } from '../object-uri';
import { labelValue, qualifiedTable, tenantDatasetId } from './bigquery-names';
import { bigQueryAppliedCountSql, bigQueryApplyLoadSql } from './bigquery-sql';
import { toWarehouseRows, type BigQueryRawRow, type BigQueryResultField } from './bigquery-values';

type JobConfiguration = NonNullable<JobRequest<Record<string, unknown>>['configuration']>;

export interface BigQueryWarehouseOptions {
  /** A client for `projectId` (with apiEndpoint set when talking to a fake). */
  client: BigQuery;
  projectId: string;
  /** Location of datasets and jobs, e.g. 'US' or 'southamerica-east1'. */
  location: string;
  /** Bytes-billed guard of every query job (decimal string, as the API takes int64). */
  maxBytesBilled: string;
  /** Rows per getQueryResults page (default 10 000). */
  pageSize?: number;
}

const STAGING_PREFIX = '_pulse_staging_';
const EXPORT_PREFIX = '_pulse_export_';

/**
 * The BigQuery warehouse: a dataset per tenant (`pulse_<slug>`), entity tables DAY-partitioned on their
 * main timestamp and clustered by customer (warehouseTableSpec). Loads are load jobs from the gs://
 * staged object into a staging table, then one transaction of the MERGE into the entity table and the
 * load's record in `_pulse_applied_loads`; never streaming inserts. A load found recorded is not applied
 * again (ingestion hands a load over again when it died before noting the first hand-over; applying it
 * twice would append its keyless usage events and NPS responses twice). Every query is a job labelled
 * {tenant, metric} with maximumBytesBilled. BigQuery serves concurrent readers and writers itself, so
 * there is no inbox: appendStaged applies the load at once and applyPendingLoads has nothing to do.
 */
export class BigQueryWarehouse implements Warehouse {
  readonly dialect = 'bigquery' as const;
  private readonly prepared = new Map<string, Promise<void>>();

  constructor(private readonly options: BigQueryWarehouseOptions) {}

  async appendStaged(load: StagedLoad): Promise<void> {
    if (!load.objectUri.startsWith('gs://')) {
      throw new WarehouseError('warehouse_invalid_request', `BigQuery loads staged objects from gs:// URIs; got ${load.objectUri}`);
    }
    assertSafeName('Import id', load.importId);
    const datasetId = await this.prepareTenant(load.tenant);
    const spec = warehouseTableSpec(load.entity);
    const stagingId = `${STAGING_PREFIX}${load.entity}_${randomUUID().replace(/-/g, '_')}`;
    const labels = this.labels(load.tenant, `load_${load.entity}`);
    const appliedLoads = qualifiedTable(this.options.projectId, datasetId, APPLIED_LOADS_TABLE);
    // The check is not part of the transaction: a tenant's loads are handed over one at a time
    // (ingestion holds the tenant's warehouse lock), so nothing records this load in between.
    if (await this.isApplied(datasetId, load, labels, appliedLoads)) return;
    try {
      await this.runJob(`load ${load.entity} (import ${load.importId})`, {
        labels,
        load: {
          sourceUris: [load.objectUri],
          destinationTable: this.tableReference(datasetId, stagingId),
          schema: { fields: spec.columns.map((column) => this.schemaField(column.name, column.type, column.required)) },
          sourceFormat: 'CSV',
          skipLeadingRows: 1,
          fieldDelimiter: ',',
          quote: '"',
          allowQuotedNewlines: true,
          encoding: 'UTF-8',
          createDisposition: 'CREATE_IF_NEEDED',
          writeDisposition: 'WRITE_TRUNCATE',
        },
      });
      const apply = bigQueryApplyLoadSql(load.entity, load.mode, {
        target: qualifiedTable(this.options.projectId, datasetId, load.entity),
        staging: qualifiedTable(this.options.projectId, datasetId, stagingId),
        appliedLoads,
      });
      await this.runJob(`merge ${load.entity} (import ${load.importId})`, {
        labels,
        query: { ...this.queryConfiguration(datasetId, apply), ...loadParameters(load) },
      });
    } catch (error) {
      await this.deleteTable(datasetId, stagingId).catch(() => undefined);
      throw error instanceof WarehouseError && error.code === 'warehouse_query_failed'
        ? new WarehouseError('warehouse_load_failed', error.message, { cause: error, load: { entity: load.entity, importId: load.importId } })
        : error;
    }
    await this.deleteTable(datasetId, stagingId);
  }

  private async isApplied(datasetId: string, load: StagedLoad, labels: Record<string, string>, appliedLoads: string): Promise<boolean> {
    const label = `check load ${load.entity} (import ${load.importId})`;
    const job = await this.runJob(label, {
      labels,
      query: { ...this.queryConfiguration(datasetId, bigQueryAppliedCountSql(appliedLoads)), ...loadParameters(load) },
    });
    const [row] = await this.readRows<{ applied: number | string }>(job, label);
    return Number(row?.applied ?? 0) > 0;
  }

  async applyPendingLoads(_tenant: WarehouseTenant): Promise<{ applied: number }> {
    return { applied: 0 };
  }

  async execute(tenant: WarehouseTenant, sql: string, options: QueryOptions): Promise<void> {
    const datasetId = await this.prepareTenant(tenant);
    await this.runJob(options.label, { labels: this.labels(tenant, options.label), query: this.queryConfiguration(datasetId, sql) }, options.signal);
  }

  async query<T = WarehouseRow>(tenant: WarehouseTenant, sql: string, options: QueryOptions): Promise<T[]> {
    const datasetId = await this.prepareTenant(tenant);
    const job = await this.runJob(options.label, { labels: this.labels(tenant, options.label), query: this.queryConfiguration(datasetId, sql) }, options.signal);
    return this.readRows<T>(job, options.label);
  }

  /** Every row of a finished query job, page by page. */
  private async readRows<T = WarehouseRow>(job: Job, label: string): Promise<T[]> {
    const rows: WarehouseRow[] = [];
    let pageToken: string | undefined;
    do {
      const [page, , response] = (await this.call(label, () =>
        job.getQueryResults({ autoPaginate: false, skipParsing: true, maxResults: this.options.pageSize ?? 10_000, pageToken }),
      )) as unknown as [BigQueryRawRow[], unknown, { schema?: { fields?: BigQueryResultField[] }; pageToken?: string }];
      rows.push(...toWarehouseRows(response?.schema?.fields ?? [], page ?? []));
      pageToken = response?.pageToken;
    } while (pageToken);
    return rows as T[];
  }

  /**
   * Runs the query into a scratch table, then an extract job writes it as CSV with a header to the
   * gs:// destination. BigQuery writes at most 1 GB per file: for larger results the destination must
   * contain one `*`, which BigQuery replaces by a 12-digit shard number (000000000000, 000000000001, ...);
   * every shard starts with the header row. A reader lists the objects matching the pattern, reads them
   * in name order and skips the header of all but the first.
   */
  async exportQuery(tenant: WarehouseTenant, sql: string, options: ExportOptions): Promise<ExportResult> {
    if (!options.destination.startsWith('gs://')) {
      throw new WarehouseError('warehouse_invalid_request', `BigQuery exports to gs:// URIs; got ${options.destination}`);
    }
    const datasetId = await this.prepareTenant(tenant);
    const labels = this.labels(tenant, options.label);
    const scratchId = `${EXPORT_PREFIX}${randomUUID().replace(/-/g, '_')}`;
    try {
      await this.runJob(options.label, {
        labels,
        query: {
          ...this.queryConfiguration(datasetId, sql),
          destinationTable: this.tableReference(datasetId, scratchId),
          createDisposition: 'CREATE_IF_NEEDED',
          writeDisposition: 'WRITE_TRUNCATE',
        },
      }, options.signal);
      const [metadata] = await this.call(options.label, () => this.options.client.dataset(datasetId).table(scratchId).getMetadata());
      await this.runJob(options.label, {
        labels,
        extract: {
          sourceTable: this.tableReference(datasetId, scratchId),
          destinationUris: [options.destination],
          destinationFormat: 'CSV',
          printHeader: true,
          fieldDelimiter: ',',
          compression: 'NONE',
        },
      }, options.signal);
      await this.deleteTable(datasetId, scratchId);
      return { rows: Number((metadata as { numRows?: string }).numRows ?? 0), location: options.destination };
    } catch (error) {
      // The first error is the one to report; a scratch table left behind is only storage.
      await this.deleteTable(datasetId, scratchId).catch(() => undefined);
      throw error;
    }
  }

  /** Deletes the tenant's dataset with its tables (offboarding). Idempotent. */
  async dropTenant(tenant: WarehouseTenant): Promise<void> {
    const datasetId = tenantDatasetId(tenant);
    this.prepared.delete(tenant.tenantId);
    await this.call('drop tenant', async () => {
      try {
        await this.options.client.dataset(datasetId).delete({ force: true });
      } catch (error) {
        if ((error as { code?: number }).code !== 404) throw error;
      }
    });
  }

  async close(): Promise<void> {
    // HTTP only: nothing held open.
  }

  /** Creates the tenant's dataset and entity tables if missing, once per process. */
  private async prepareTenant(tenant: WarehouseTenant): Promise<string> {
    const datasetId = tenantDatasetId(tenant);
    let preparing = this.prepared.get(tenant.tenantId);
    if (preparing === undefined) {
      preparing = this.createTenantTables(tenant, datasetId);
      this.prepared.set(tenant.tenantId, preparing);
      preparing.catch(() => this.prepared.delete(tenant.tenantId));
    }
    await preparing;
    return datasetId;
  }

  private async createTenantTables(tenant: WarehouseTenant, datasetId: string): Promise<void> {
    const { client, location } = this.options;
    const dataset = client.dataset(datasetId, { location });
    await this.call('prepare tenant dataset', async () => {
      const [exists] = await dataset.exists();
      if (!exists) await ignoreAlreadyExists(() => client.createDataset(datasetId, { location, labels: { tenant: labelValue(tenant.slug) } }));
    });
    const tables = [...CANONICAL_ENTITIES.map((entity) => [entity, this.tableResource(entity)] as const), [APPLIED_LOADS_TABLE, this.appliedLoadsResource()] as const];
    for (const [tableId, resource] of tables) {
      await this.call(`prepare table ${tableId}`, async () => {
        const [exists] = await dataset.table(tableId).exists();
        if (!exists) await ignoreAlreadyExists(() => dataset.createTable(tableId, resource));
      });
    }
  }

  private appliedLoadsResource() {
    return {
      schema: {
        fields: [
          this.schemaField('import_id', 'text', true),
          this.schemaField('entity', 'text', true),
          this.schemaField('mode', 'text', true),
          this.schemaField('applied_at', 'timestamp', true),
        ],
      },
    };
  }

  /** The tables.insert body of an entity table: same columns and layout as warehouseTableDdl('bigquery'). */
  private tableResource(entity: CanonicalEntity) {
    const spec = warehouseTableSpec(entity);
    return {
      schema: {
        fields: [
          ...spec.columns.map((column) => this.schemaField(column.name, column.type, column.required)),
          this.schemaField(LOADED_AT_COLUMN, 'timestamp', true),
        ],
      },
      ...(spec.partitionBy ? { timePartitioning: { type: 'DAY', field: spec.partitionBy } } : {}),
      clustering: { fields: [...spec.clusterBy] },
    };
  }

  private schemaField(name: string, type: Parameters<typeof warehouseColumnType>[1], required: boolean) {
    return { name, type: warehouseColumnType('bigquery', type), mode: required ? 'REQUIRED' : 'NULLABLE' };
  }

  private tableReference(datasetId: string, tableId: string) {
    return { projectId: this.options.projectId, datasetId, tableId };
  }

  private queryConfiguration(datasetId: string, sql: string) {
    return {
      query: sql,
      useLegacySql: false,
      // D's SQL names tables unqualified (`orders`), as on DuckDB.
      defaultDataset: { projectId: this.options.projectId, datasetId },
      maximumBytesBilled: this.options.maxBytesBilled,
    };
  }

  private labels(tenant: WarehouseTenant, metric: string): Record<string, string> {
    return { tenant: labelValue(tenant.slug), metric: labelValue(metric) };
  }

  /** Inserts a job and waits until it is DONE; a job that ended with an error throws. */
  private async runJob(label: string, configuration: JobConfiguration, signal?: AbortSignal): Promise<Job> {
    signal?.throwIfAborted();
    const [job] = await this.call(label, () => this.options.client.createJob({ configuration, location: this.options.location }), signal);
    await this.call(label, () => jobDone(job, signal), signal);
    return job;
  }

  private async deleteTable(datasetId: string, tableId: string): Promise<void> {
    try {
      await this.options.client.dataset(datasetId).table(tableId).delete();
    } catch (error) {
      // Gone already (or never created because the job failed first): nothing to clean.
      if ((error as { code?: number }).code !== 404) throw new WarehouseError('warehouse_query_failed', `Cannot delete ${datasetId}.${tableId}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Errors become WarehouseErrors naming `label`; once `signal` has aborted, its reason is what is thrown. */
  private async call<T>(label: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await work();
    } catch (error) {
      signal?.throwIfAborted();
      if (error instanceof WarehouseError) throw error;
      throw new WarehouseError('warehouse_query_failed', `${label}: ${errorMessage(error)}`, { cause: error });
    }
  }
}

/**
 * Resolves when the job is DONE (the client polls it while a 'complete' listener is registered), rejects
 * if it ended with an error. An aborted `signal` stops waiting and polling at once, cancels the job
 * (jobs.cancel: BigQuery stops it in its own time, and commits none of its writes) and rejects with the
 * signal's reason.
 */
function jobDone(job: Job, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (finish: () => void) => {
      job.removeListener('complete', onComplete);
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    const onComplete = () => settle(resolve);
    const onError = (error: unknown) => settle(() => reject(error));
    const onAbort = () =>
      settle(() => {
        job.cancel().catch(() => undefined);
        reject(signal?.reason);
      });
    // Stays registered: a poll already under way when the signal aborts may still end in 'error'.
    job.on('error', onError);
    if (signal?.aborted) return onAbort();
    job.on('complete', onComplete);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The named query parameters that identify a load (bigQueryAppliedCountSql, bigQueryApplyLoadSql). */
function loadParameters(load: StagedLoad) {
  const string = (name: string, value: string) => ({ name, parameterType: { type: 'STRING' }, parameterValue: { value } });
  return {
    parameterMode: 'NAMED',
    queryParameters: [string('import_id', load.importId), string('entity', load.entity), string('mode', load.mode)],
  };
}

async function ignoreAlreadyExists(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    // Another process created it between our check and our insert.
    if ((error as { code?: number }).code !== 409) throw error;
  }
}
