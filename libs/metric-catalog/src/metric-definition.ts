import type { KpiParams } from './kpi-params';
import type { SqlDialect } from './sql-dialect';

/** customer: one row per customer; product: one row per SKU; series: one row per (grain, period). */
export type MetricGrain = 'customer' | 'product' | 'series';

export type MetricUnit =
  | 'count'
  | 'currency'
  | 'days'
  | 'instant'
  | 'ratio'
  | 'score'
  | 'segment'
  | 'flag';

/** How a value is written to the output file (and so which column type it lands in). */
export type OutputFormat =
  | { kind: 'integer' }
  | { kind: 'decimal'; scale: number }
  | { kind: 'timestamp' }
  | { kind: 'text' }
  | { kind: 'boolean' };

/** What a metric's SQL is written against: the dialect plus the run's as-of constants. */
export interface CompileContext {
  readonly dialect: SqlDialect;
  readonly params: KpiParams;
  /** DATE literal of the as-of day (tenant timezone). */
  readonly asOfDay: string;
  /** Instant where the as-of day ends (midnight after it, tenant timezone): data at or after it is ignored. */
  readonly asOfEnd: string;
  /** Instant where a trailing window of `days` calendar days ending with the as-of day starts. */
  windowStart(days: number): string;
  /**
   * Incremental product run: only SKUs touched by rows loaded after this instant (SQL timestamp literal);
   * undefined for a full run (docs/metrics.md "Incremental runs").
   */
  readonly productsTouchedSince?: string;
  /** `column` is not one of the excluded order statuses (case-insensitive; NULL status qualifies). */
  qualifyingStatus(column: string): string;
}

interface MetricBase {
  /** Column name (customer/product) or series metric name: stable, snake_case. */
  readonly name: string;
  readonly grain: MetricGrain;
  readonly description: string;
  readonly unit: MetricUnit;
  /** Warehouse tables.columns the metric reads (documentation and incremental planning). */
  readonly inputs: readonly string[];
  /** Internal metrics are building blocks of others and are not written to the output. */
  readonly internal?: boolean;
  readonly format: OutputFormat;
}

/** An aggregate over a source relation's rows of one entity (customer, SKU, or grain + period). */
export interface AggregateMetric extends MetricBase {
  readonly kind: 'aggregate';
  /** Name of a MetricSource of the same grain. */
  readonly source: string;
  aggregate(ctx: CompileContext): string;
  /** SQL value for an entity without source rows ('0' for counts and sums, 'NULL' otherwise). */
  readonly empty: string;
}

/**
 * A row expression over other metrics of the same grain (by name), evaluated after them. It may use
 * window functions across all rows of the grain (RFM quintiles, running MRR).
 */
export interface DerivedMetric extends MetricBase {
  readonly kind: 'derived';
  readonly dependsOn: readonly string[];
  expression(ctx: CompileContext): string;
  /**
   * For an expression with window functions over a subset of the grain's rows (RFM ranks among customers
   * with orders): the condition selecting that subset. The expression is then evaluated over those rows
   * only, in a narrow relation (keys and dependencies) joined back by key, and is NULL on the other rows.
   * Sorting narrow rows costs far less than sorting every column of the grain. The rows it selects must
   * have non-NULL keys (the join back is by key; customers with orders always have one).
   */
  readonly windowRows?: string;
}

export type MetricDefinition = AggregateMetric | DerivedMetric;

/** A relation that aggregate metrics read, keyed like its grain (customer_id | sku | grain, period_start). */
export interface MetricSource {
  readonly name: string;
  readonly grain: MetricGrain;
  /** Shared relations (by name) this source selects from; emitted once as CTEs before it. */
  readonly uses: readonly string[];
  relation(ctx: CompileContext): string;
}

/** A shared relation several sources read (e.g. the qualifying orders). */
export interface BaseRelation {
  readonly name: string;
  readonly uses: readonly string[];
  relation(ctx: CompileContext): string;
}

/** The set of entities of a grain every output row is for (customers incl. those without orders, ...). */
export interface GrainSpine {
  readonly grain: MetricGrain;
  /** Key columns of the grain, in output order. */
  readonly keys: readonly string[];
  readonly uses: readonly string[];
  relation(ctx: CompileContext): string;
}
