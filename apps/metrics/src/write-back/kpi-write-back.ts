import { compileScorecard, healthTrendSql, type CompiledScorecard } from '@pulse/health-scoring';
import type { ScorecardDefinition } from '@pulse/contracts';
import type { TenantDatabaseClient } from '@pulse/tenancy';
import { parse } from 'csv-parse';
import { escapeLiteral } from 'pg';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { CUSTOMER_STAGE_COLUMNS, customerHealthRows, type CustomerHealthCounts } from './customer-health-rows';
import { kpiFileParts } from './kpi-files';
import { assertKpiHeader, CUSTOMER_KPI_COLUMNS, METRIC_SERIES_COLUMNS, PRODUCT_KPI_COLUMNS, stagingTableSql } from './kpi-output-columns';
import { KpiValueError } from './kpi-value-error';
import { createReplacementTable, dropReplacedTables, finishReplacementTable, swapReplacementTable } from './replacement-table';

export interface KpiFile {
  location: string;
  rows: number;
}

export interface WriteBackInput {
  runId: string;
  asOf: string;
  customerKpis: KpiFile;
  productKpis: KpiFile;
  metricSeries: KpiFile;
  /** `touched`: the product file holds only SKUs touched since the live run (same params): upserted over it. */
  productKpisScope?: 'all' | 'touched';
  scorecard: { version: number | null; definition: ScorecardDefinition };
}

export interface WriteBackResult {
  rowCounts: {
    customer_kpis: number;
    product_kpis: number;
    metric_series: number;
    health_scores: number;
    /** Customer KPI rows whose customer_external_id names no customer (counted and logged, not written). */
    unknown_customers: number;
    /** Customers the scorecard could not score (every measure missing): health NULL, no history row. */
    unscored_customers: number;
  };
  /** A few of the unknown customer ids, for the log. */
  unknownCustomerSample: string[];
  /** Measures of the scorecard that name no known KPI (always missing). */
  unknownMetrics: string[];
  timings: Record<string, number>;
}

export interface WriteBackOptions {
  /**
   * How long one attempt to lock the KPI tables may wait (its lock_timeout). Readers that come while
   * an ACCESS EXCLUSIVE request waits queue behind it, so this is also the longest they wait for a
   * write-back that cannot start yet (a long reader is still on a KPI table). Default 200 ms. The same
   * for each attempt of dropReplacedCustomerKpis (on customers and the replaced table).
   */
  lockAttemptTimeoutMs?: number;
  /** Attempts stop after this long: the write-back fails with lock_not_available (55P03). Default 60 s. */
  lockWaitLimitMs?: number;
}

/** The replaced customer_kpis tables dropped, and how long that took. */
export interface ReplacedTablesDropped {
  dropped: string[];
  ms: number;
}

const LOCK_ATTEMPT_TIMEOUT_MS = 200;
const LOCK_WAIT_LIMIT_MS = 60_000;

const STAGE = { customers: 'metrics_stage_customer_kpis', products: 'metrics_stage_product_kpis', series: 'metrics_stage_metric_series' };
const RESOLVED = 'metrics_resolved_customers';
const PRODUCT_UPSERT = `ON CONFLICT (sku) DO UPDATE SET ${[
  'product_id',
  'first_purchase_at',
  'last_purchase_at',
  'days_since_last_purchase',
  'units',
  'revenue',
  'distinct_buyers',
  'repeat_buyer_rate',
  'median_reorder_interval_days',
  'as_of',
  'run_id',
  'computed_at',
]
  .map((column) => `${column} = EXCLUDED.${column}`)
  .join(', ')}`;
const TREND = healthTrendSql('r.health_score', 'r.previous_score');

/**
 * Writes a run's KPI files into the tenant database, all or nothing, inside the caller's open
 * transaction (the caller finishes the run record and enqueues metrics.computed.v1 in it too):
 *
 * 1. COPY each file into a typed temporary staging table; customer rows are scored on the way
 *    (@pulse/health-scoring). Nothing live is touched yet, so bad files fail here.
 * 2. Lock customers (SHARE ROW EXCLUSIVE) and products (SHARE): writers wait, readers do not. Resolve
 *    customer_external_id to customers.id next to each customer's current score (the previous run's,
 *    for the trend) and append one health_scores row per scored customer.
 * 3. Build the new customer KPIs beside the live ones, in customer_kpis_next (replacement-table.ts):
 *    INSERT, then its indexes (one sorted build each), primary and foreign key, ANALYZE. Readers still
 *    read the live table meanwhile.
 * 4. Lock the KPI tables it replaces, all at once (lockKpiTables), swap customer_kpis_next in by renames
 *    (the live table becomes customer_kpis_replaced_<oid>), TRUNCATE the small tables and INSERT their
 *    new sets. An incremental product file (`productKpisScope: 'touched'`) is upserted over product_kpis
 *    instead.
 *
 * The caller drops the replaced table after the COMMIT, outside the transaction: dropReplacedCustomerKpis.
 *
 * Readers never see a half-written set: until COMMIT they read the previous results (the lock makes
 * them wait during step 4 — renames and the small tables, milliseconds — rather than see a mix), and any
 * error or a lost connection rolls everything back, leaving the previous results as they were.
 *
 * Readers never deadlock with it: they take ACCESS SHARE, customers (or products) before the KPI table
 * joined to it, one statement at a time. From step 4 on this transaction waits for no lock a reader can
 * hold — it never drops a foreign key to customers (dropping one, or a table that has one, takes ACCESS
 * EXCLUSIVE on customers, where its trigger lives, while a list read holds customers and waits for
 * customer_kpis) — and before it, it holds nothing a reader waits for.
 */
export async function writeBackKpis(db: TenantDatabaseClient, input: WriteBackInput, options: WriteBackOptions = {}): Promise<WriteBackResult> {
  const timings: Record<string, number> = {};
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings[label] = Math.round(performance.now() - started);
    }
  };
  const scorecard = compileScorecard(input.scorecard.definition);

  await db.query(stagingTableSql(STAGE.customers, CUSTOMER_KPI_COLUMNS, ['health_score smallint', 'health_band text', 'contributions jsonb']));
  await db.query(stagingTableSql(STAGE.products, PRODUCT_KPI_COLUMNS));
  await db.query(stagingTableSql(STAGE.series, METRIC_SERIES_COLUMNS));

  const customValues = await timed('write_back.custom_fields', () => loadCustomValues(db, scorecard));
  const counts: CustomerHealthCounts = { rows: 0, scored: 0 };
  await timed('write_back.stage.customer_kpis', () => stageCustomerKpis(db, input.customerKpis.location, scorecard, customValues, counts));
  await timed('write_back.stage.product_kpis', () => stageCsv(db, STAGE.products, 'product_kpis', input.productKpis.location, PRODUCT_KPI_COLUMNS));
  await timed('write_back.stage.metric_series', () => stageCsv(db, STAGE.series, 'metric_series', input.metricSeries.location, METRIC_SERIES_COLUMNS));
  await db.query(`ANALYZE ${STAGE.customers}`);

  const unknown = await timed('write_back.unknown_customers', () => unknownCustomers(db));

  // The rows every KPI row points to stay put until COMMIT: a delete of a customer or product (an import
  // in replace mode) would cascade into a KPI table locked below while this transaction checks the
  // foreign key of that very row, a deadlock. Both modes let every reader through; customers gets SHARE
  // ROW EXCLUSIVE at once because adding customer_kpis_next's foreign key takes it (no upgrade later).
  await timed('write_back.lock_referenced', async () => {
    await db.query('LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE');
    await db.query('LOCK TABLE products IN SHARE MODE');
  });
  await timed('write_back.resolve_customers', async () => resolveCustomers(db, await liveScoresComparable(db, input)));
  // Appending history locks out no reader (the rows stay invisible until COMMIT), so it goes first.
  const historyRows = await timed('write_back.health_scores', () => insertHealthHistory(db, input));
  // The new customer KPIs, built while readers still read the live ones.
  // Timed as one step (insert, indexes, keys, ANALYZE), as the in-place insert with its index rebuild was.
  const customerKpis = await timed('write_back.customer_kpis', async () => {
    const replacement = await createReplacementTable(db, 'customer_kpis');
    const rows = await insertCustomerKpis(db, replacement.next, input);
    await finishReplacementTable(db, replacement);
    return { replacement, rows };
  });
  // From here on readers of the KPI tables wait until COMMIT.
  const incrementalProducts = input.productKpisScope === 'touched';
  const truncated = ['metric_series', ...(incrementalProducts ? [] : ['product_kpis'])];
  await timed('write_back.lock_kpi_tables', () => lockKpiTables(db, ['customer_kpis', ...truncated], options));
  await timed('write_back.swap', () => swapReplacementTable(db, customerKpis.replacement));
  await timed('write_back.truncate', () => db.query(`TRUNCATE ${truncated.join(', ')}`));
  const productRows = await timed('write_back.product_kpis', async () => {
    const { rowCount } = await db.query(
      `INSERT INTO product_kpis (sku, product_id, first_purchase_at, last_purchase_at, days_since_last_purchase, units, revenue,
                                 distinct_buyers, repeat_buyer_rate, median_reorder_interval_days, as_of, run_id)
       SELECT s.sku, p.id, s.first_purchase_at, s.last_purchase_at, s.days_since_last_purchase, COALESCE(s.units, 0), COALESCE(s.revenue, 0),
              COALESCE(s.distinct_buyers, 0), s.repeat_buyer_rate, s.median_reorder_interval_days, $1::date, $2::uuid
         FROM ${STAGE.products} s LEFT JOIN products p ON p.sku = s.sku
       ${incrementalProducts ? PRODUCT_UPSERT : ''}`,
      [input.asOf, input.runId],
    );
    return rowCount ?? 0;
  });
  const seriesRows = await timed('write_back.metric_series', async () => {
    const { rowCount } = await db.query(
      `INSERT INTO metric_series (metric, grain, period_start, value, as_of, run_id)
       SELECT metric, grain::metric_grain, period_start, value, $1::date, $2::uuid FROM ${STAGE.series}`,
      [input.asOf, input.runId],
    );
    return rowCount ?? 0;
  });
  return {
    rowCounts: {
      customer_kpis: customerKpis.rows,
      product_kpis: productRows,
      metric_series: seriesRows,
      health_scores: historyRows,
      unknown_customers: unknown.count,
      unscored_customers: counts.rows - counts.scored,
    },
    unknownCustomerSample: unknown.sample,
    unknownMetrics: scorecard.unknownMetrics,
    timings,
  };
}

/**
 * Takes ACCESS EXCLUSIVE on every KPI table the write-back replaces, in one statement, before touching
 * any of them, each attempt waiting at most lockAttemptTimeoutMs (lock_timeout): a reader that comes
 * while the request waits (for a long reader still on one of the tables) queues behind it, so an
 * attempt that does not get them all in time lets go of what it got (ROLLBACK TO SAVEPOINT), lets the
 * queued readers through and tries again, until lockWaitLimitMs, when it fails with lock_not_available
 * (55P03: the run fails database_unavailable).
 */
async function lockKpiTables(db: TenantDatabaseClient, tables: readonly string[], options: WriteBackOptions): Promise<void> {
  const attemptMs = options.lockAttemptTimeoutMs ?? LOCK_ATTEMPT_TIMEOUT_MS;
  const limitMs = options.lockWaitLimitMs ?? LOCK_WAIT_LIMIT_MS;
  const started = performance.now();
  const { rows } = await db.query<{ lock_timeout: string }>(`SELECT current_setting('lock_timeout') AS lock_timeout`);
  await db.query(`SELECT set_config('lock_timeout', $1, true)`, [`${attemptMs}ms`]);
  for (let attempt = 1; ; attempt++) {
    await db.query('SAVEPOINT kpi_tables_lock');
    try {
      await db.query(`LOCK TABLE ${tables.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      await db.query('RELEASE SAVEPOINT kpi_tables_lock');
      break;
    } catch (error) {
      if ((error as { code?: unknown }).code !== '55P03') throw error;
      await db.query('ROLLBACK TO SAVEPOINT kpi_tables_lock');
      const pauseMs = Math.min(1_000, 50 * attempt);
      if (performance.now() - started + pauseMs + attemptMs > limitMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
  await db.query(`SELECT set_config('lock_timeout', $1, true)`, [rows[0]?.lock_timeout ?? '0']);
}

/**
 * Whether the live scores (the previous run's) can tell this run's trend: scored with the same scorecard
 * version, as of this run's day or an earlier one. A scorecard change moves every score with no change in
 * the customer, and a run for a past day would compare that day with a later one: no trend then.
 */
async function liveScoresComparable(db: TenantDatabaseClient, input: WriteBackInput): Promise<boolean> {
  const { rows } = await db.query<{ comparable: boolean }>(
    `SELECT k.as_of <= $1::date AND h.scorecard_version IS NOT DISTINCT FROM $2::int AS comparable
       FROM (SELECT run_id, as_of FROM customer_kpis LIMIT 1) k
       JOIN LATERAL (SELECT scorecard_version FROM health_scores WHERE run_id = k.run_id LIMIT 1) h ON true`,
    [input.asOf, input.scorecard.version],
  );
  return rows[0]?.comparable === true;
}

/**
 * The staged customers with their customers.id (unknown ones drop out here; they were counted before)
 * and, when comparable, their current score, which is the previous run's: the trend compares with it.
 */
async function resolveCustomers(db: TenantDatabaseClient, comparable: boolean): Promise<void> {
  await db.query(
    `CREATE TEMP TABLE ${RESOLVED} ON COMMIT DROP AS
     SELECT c.id AS customer_id, s.*, ${comparable ? 'k.health_score' : 'NULL::smallint'} AS previous_score
       FROM ${STAGE.customers} s
       JOIN customers c ON c.external_id = s.customer_external_id
       LEFT JOIN customer_kpis k ON k.customer_id = c.id`,
  );
}

/**
 * Drops the customer_kpis tables earlier write-backs replaced, each in its own short transaction (see
 * dropReplacedTables): after the write-back's COMMIT, and before the next write-back starts its
 * transaction, in case a crash or a lock held too long came between. Outside any transaction.
 */
export async function dropReplacedCustomerKpis(db: TenantDatabaseClient, options: WriteBackOptions & { signal?: AbortSignal } = {}): Promise<ReplacedTablesDropped> {
  const started = performance.now();
  const dropped = await dropReplacedTables(db, 'customer_kpis', {
    attemptMs: options.lockAttemptTimeoutMs ?? LOCK_ATTEMPT_TIMEOUT_MS,
    limitMs: options.lockWaitLimitMs ?? LOCK_WAIT_LIMIT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { dropped, ms: Math.round(performance.now() - started) };
}

async function insertCustomerKpis(db: TenantDatabaseClient, table: string, input: WriteBackInput): Promise<number> {
  const { rowCount } = await db.query(
    `INSERT INTO ${table} (customer_id, orders_count, first_order_at, last_order_at, days_since_last_order, revenue_total,
                                revenue_30d, revenue_90d, revenue_365d, aov, rfm_recency, rfm_frequency, rfm_monetary, rfm_segment,
                                mrr, last_nps, open_tickets, active_30d, health_score, health_band, health_trend, as_of, run_id)
     SELECT r.customer_id, COALESCE(r.orders_count, 0), r.first_order_at, r.last_order_at, r.days_since_last_order,
            COALESCE(r.revenue_total, 0), COALESCE(r.revenue_30d, 0), COALESCE(r.revenue_90d, 0), COALESCE(r.revenue_365d, 0),
            r.aov, r.rfm_recency, r.rfm_frequency, r.rfm_monetary, r.rfm_segment, COALESCE(r.mrr, 0), r.last_nps,
            COALESCE(r.open_tickets, 0), COALESCE(r.active_30d, false), r.health_score, r.health_band::health_band,
            (${TREND})::health_trend, $1::date, $2::uuid
       FROM ${RESOLVED} r`,
    [input.asOf, input.runId],
  );
  return rowCount ?? 0;
}

/** One history row per scored customer (append-only: its indexes and foreign keys are kept as they are). */
async function insertHealthHistory(db: TenantDatabaseClient, input: WriteBackInput): Promise<number> {
  const { rowCount } = await db.query(
    `INSERT INTO health_scores (customer_id, run_id, scorecard_version, score, band, trend, contributions)
     SELECT r.customer_id, $1::uuid, $2::int, r.health_score, r.health_band::health_band, (${TREND})::health_trend, r.contributions
       FROM ${RESOLVED} r WHERE r.health_score IS NOT NULL`,
    [input.runId, input.scorecard.version],
  );
  return rowCount ?? 0;
}

async function unknownCustomers(db: TenantDatabaseClient): Promise<{ count: number; sample: string[] }> {
  const { rows } = await db.query<{ count: string; sample: string[] | null }>(
    `SELECT count(*) AS count, (array_agg(customer_external_id ORDER BY customer_external_id))[1:10] AS sample
       FROM ${STAGE.customers} s WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.external_id = s.customer_external_id)`,
  );
  return { count: Number(rows[0]?.count ?? 0), sample: rows[0]?.sample ?? [] };
}

async function stageCustomerKpis(
  db: TenantDatabaseClient,
  location: string,
  scorecard: CompiledScorecard,
  customValues: (externalId: string) => readonly unknown[] | undefined,
  counts: CustomerHealthCounts,
): Promise<void> {
  const parts = await kpiFileParts(location);
  const records = (async function* () {
    for (const open of parts) yield* open().pipe(parse({ relax_column_count: false }));
  })();
  const copy = db.query(copyFrom(`COPY ${STAGE.customers} (${CUSTOMER_STAGE_COLUMNS.join(', ')}) FROM STDIN WITH (FORMAT csv)`));
  await pipeline(Readable.from(customerHealthRows(records as AsyncIterable<string[]>, location, scorecard, customValues, counts)), copy).catch(
    (error: unknown) => {
      throw namingCopyRow(error, 'customer_kpis', location);
    },
  );
}

/** COPYs a KPI file as is; its header names the columns (checked against the expected set). */
async function stageCsv(db: TenantDatabaseClient, table: string, kpiTable: string, location: string, columns: Readonly<Record<string, string>>): Promise<void> {
  for (const open of await kpiFileParts(location)) {
    const stream = open();
    const { header, rest } = await splitHeader(stream);
    assertKpiHeader(location, header, columns);
    const copy = db.query(copyFrom(`COPY ${table} (${header.join(', ')}) FROM STDIN WITH (FORMAT csv)`));
    await pipeline(rest, copy).catch((error: unknown) => {
      throw namingCopyRow(error, kpiTable, location);
    });
  }
}

/**
 * A value the staging COPY rejects (malformed, or too large for its column): PostgreSQL names the row,
 * column and value only in the error's context (`where`: `COPY <table>, line 2, column revenue_total:
 * "..."`), not in the message. KpiValueError names them, with the detail ("must round to an absolute
 * value less than 10^34"): the file for the log, the KPI table for the tenant (docs/metrics.md "Run
 * errors"). Rows count data rows (the header is not sent); a BigQuery export in shards counts per shard.
 */
function namingCopyRow(error: unknown, kpiTable: string, location: string): unknown {
  const { where, detail } = error as { where?: unknown; detail?: unknown };
  if (!(error instanceof Error) || typeof where !== 'string') return error;
  const context = /^COPY \S+, line (\d+), column (\w+): "(.*)"$/s.exec(where.split('\n')[0] ?? '');
  if (!context) return error;
  const [, row, column, value] = context;
  const reason = typeof detail === 'string' && detail !== '' ? `${error.message} (${detail})` : error.message;
  return new KpiValueError({ kpiTable, location, row: Number(row), column: column as string, value: value as string, reason }, error);
}

/** Reads the first line (the header; plain column names) and returns the stream of everything after it. */
async function splitHeader(stream: Readable): Promise<{ header: string[]; rest: Readable }> {
  let buffered = Buffer.alloc(0);
  // Leaving the loop must not destroy the stream: the rest of it is the COPY's input.
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    buffered = Buffer.concat([buffered, chunk as Buffer]);
    const newline = buffered.indexOf(10);
    if (newline === -1) continue;
    const header = buffered.subarray(0, newline).toString('utf8').replace(/\r$/, '').replace(/^\uFEFF/, '');
    const remainder = buffered.subarray(newline + 1);
    const rest = Readable.from(
      (async function* () {
        if (remainder.length) yield remainder;
        yield* stream;
      })(),
    );
    return { header: header.split(',').map((column) => column.trim().replace(/^"(.*)"$/, '$1')), rest };
  }
  const header = buffered.toString('utf8').trim();
  return { header: header ? header.split(',') : [], rest: Readable.from([]) };
}

/**
 * The custom fields a scorecard reads, per customer external id: only loaded when the scorecard has
 * `custom.<field>` measures (memory then grows with the number of customers: about 100 bytes each).
 */
async function loadCustomValues(db: TenantDatabaseClient, scorecard: CompiledScorecard): Promise<(externalId: string) => readonly unknown[] | undefined> {
  const fields = scorecard.customFields;
  if (fields.length === 0) return () => undefined;
  const values = new Map<string, unknown[]>();
  // COPY takes no parameters: the field names (already restricted by the scorecard schema) go in as literals.
  const literalList = fields.map((field) => `custom -> ${escapeLiteral(field)}`).join(', ');
  const out = db.query(copyTo(`COPY (SELECT external_id, jsonb_build_array(${literalList}) FROM customers) TO STDOUT WITH (FORMAT csv)`));
  const parser = out.pipe(parse());
  for await (const record of parser as AsyncIterable<[string, string]>) {
    values.set(record[0], JSON.parse(record[1]) as unknown[]);
  }
  return (externalId) => values.get(externalId);
}
