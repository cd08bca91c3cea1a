import { BASE_RELATIONS } from './catalog/base-relations';
import { CUSTOMER_KPI_COLUMNS, customerMetrics, customerSources, customerSpine } from './catalog/customer-metrics';
import { PRODUCT_KPI_COLUMNS, productMetrics, productSources, productSpine, skuBuyerDays } from './catalog/product-metrics';
import { SERIES_METRIC_NAMES, seriesBaseRelations, seriesMetrics, seriesSources, seriesSpine } from './catalog/series-metrics';
import type { KpiParams } from './kpi-params';
import type {
  AggregateMetric,
  BaseRelation,
  CompileContext,
  DerivedMetric,
  GrainSpine,
  MetricDefinition,
  MetricGrain,
  MetricSource,
  OutputFormat,
} from './metric-definition';
import type { SqlDialect } from './sql-dialect';

/** One statement of a KPI run: the output table it produces and the metrics it computes. */
export interface CompiledQuery {
  /** customer_kpis | product_kpis | metric_series: also the query label for logs and job labels. */
  readonly label: 'customer_kpis' | 'product_kpis' | 'metric_series';
  readonly sql: string;
  /** Output columns in order. */
  readonly columns: readonly string[];
  /** Every catalog metric this query computes (internal building blocks included). */
  readonly metrics: readonly string[];
}

/** Every shared relation, in dependency order (a relation only uses those before it). */
const ALL_BASE_RELATIONS: readonly BaseRelation[] = [...BASE_RELATIONS, skuBuyerDays, ...seriesBaseRelations];

export const METRIC_CATALOG: readonly MetricDefinition[] = [...customerMetrics, ...productMetrics, ...seriesMetrics];

export interface CompileOptions {
  /** Incremental product KPIs: only SKUs touched by rows loaded after this ISO instant. */
  productsTouchedSince?: string;
}

export function createCompileContext(dialect: SqlDialect, params: KpiParams, options: CompileOptions = {}): CompileContext {
  const asOfDay = dialect.date(params.asOf);
  const excluded = params.excludedOrderStatuses.map((status) => dialect.text(status.toLowerCase()));
  return {
    dialect,
    params,
    asOfDay,
    asOfEnd: dialect.startOfDay(dialect.addDays(asOfDay, 1), params.timezone),
    productsTouchedSince: options.productsTouchedSince === undefined ? undefined : dialect.timestamp(options.productsTouchedSince),
    windowStart: (days) => dialect.startOfDay(dialect.addDays(asOfDay, -(days - 1)), params.timezone),
    qualifyingStatus: (column) =>
      excluded.length === 0 ? 'TRUE' : `(${column} IS NULL OR LOWER(${dialect.trimmed(column)}) NOT IN (${excluded.join(', ')}))`,
  };
}

function requiredBaseRelations(ctx: CompileContext, uses: readonly string[]): BaseRelation[] {
  const needed = new Set<string>();
  const visit = (name: string) => {
    if (needed.has(name)) return;
    // Only incremental product runs filter by touched SKUs.
    if (name === 'touched_skus' && ctx.productsTouchedSince === undefined) return;
    const relation = ALL_BASE_RELATIONS.find((candidate) => candidate.name === name);
    if (!relation) throw new Error(`Unknown base relation ${name}`);
    needed.add(name);
    relation.uses.forEach(visit);
  };
  uses.forEach(visit);
  return ALL_BASE_RELATIONS.filter((relation) => needed.has(relation.name));
}

/**
 * Layers of metrics: aggregates first (layer 0), then each derived metric one layer after the last of
 * the metrics it depends on, so every expression only reads columns computed before it.
 */
function metricLayers(metrics: readonly MetricDefinition[]): { aggregates: AggregateMetric[]; derived: MetricDefinition[][] } {
  const layerOf = new Map<string, number>();
  const byName = new Map(metrics.map((metric) => [metric.name, metric]));
  const resolve = (name: string, path: readonly string[]): number => {
    const known = layerOf.get(name);
    if (known !== undefined) return known;
    if (path.includes(name)) throw new Error(`Metric dependency cycle: ${[...path, name].join(' -> ')}`);
    const metric = byName.get(name);
    if (!metric) throw new Error(`Metric ${path.at(-1)} depends on unknown metric ${name}`);
    const layer = metric.kind === 'aggregate' ? 0 : 1 + Math.max(...metric.dependsOn.map((dependency) => resolve(dependency, [...path, name])));
    layerOf.set(name, layer);
    return layer;
  };
  metrics.forEach((metric) => resolve(metric.name, []));
  const derived: MetricDefinition[][] = [];
  for (const metric of metrics) {
    const layer = layerOf.get(metric.name) ?? 0;
    if (layer > 0) (derived[layer - 1] ??= []).push(metric);
  }
  return { aggregates: metrics.filter((metric): metric is AggregateMetric => metric.kind === 'aggregate'), derived };
}

function formatOutput(ctx: CompileContext, column: string, format: OutputFormat): string {
  switch (format.kind) {
    case 'integer':
      return ctx.dialect.cast(column, 'integer');
    case 'decimal':
      return ctx.dialect.toDecimal(column, format.scale);
    case 'timestamp':
      return ctx.dialect.isoTimestamp(column);
    case 'text':
    case 'boolean':
      return column;
  }
}

interface GrainPlan {
  readonly spine: GrainSpine;
  readonly sources: readonly MetricSource[];
  readonly metrics: readonly MetricDefinition[];
}

/** WITH ... up to the last metric layer of a grain; returns the CTE list and the name of the last layer. */
function compileGrainLayers(ctx: CompileContext, plan: GrainPlan): { ctes: string[]; last: string } {
  const { spine, sources, metrics } = plan;
  const { aggregates, derived } = metricLayers(metrics);
  const usedSources = sources.filter((source) => aggregates.some((metric) => metric.source === source.name));
  for (const metric of aggregates) {
    if (!usedSources.some((source) => source.name === metric.source)) throw new Error(`Metric ${metric.name} reads unknown source ${metric.source}`);
  }
  const bases = requiredBaseRelations(ctx, [...spine.uses, ...usedSources.flatMap((source) => source.uses)]);
  const ctes: string[] = bases.map((base) => `${base.name} AS (\n  ${base.relation(ctx)}\n)`);
  ctes.push(`spine AS (\n  ${spine.relation(ctx)}\n)`);

  const keys = spine.keys;
  const joins: string[] = [];
  const layerZero: string[] = keys.map((key) => `spine.${key}`);
  for (const source of usedSources) {
    const own = aggregates.filter((metric) => metric.source === source.name);
    const alias = `agg_${source.name}`;
    ctes.push(
      `${alias} AS (\n  SELECT ${keys.join(', ')}, ${own.map((metric) => `${metric.aggregate(ctx)} AS ${metric.name}`).join(',\n    ')}\n  FROM (${source.relation(ctx)}) AS ${source.name}\n  GROUP BY ${keys.join(', ')}\n)`,
    );
    joins.push(`LEFT JOIN ${alias} ON ${keys.map((key) => `${alias}.${key} = spine.${key}`).join(' AND ')}`);
    for (const metric of own) {
      layerZero.push(metric.empty === 'NULL' ? `${alias}.${metric.name}` : `COALESCE(${alias}.${metric.name}, ${metric.empty}) AS ${metric.name}`);
    }
  }
  ctes.push(`layer_0 AS (\n  SELECT ${layerZero.join(',\n    ')}\n  FROM spine\n  ${joins.join('\n  ')}\n)`);
  derived.forEach((layer, index) => {
    const previous = `layer_${index}`;
    const metricsOfLayer = layer as DerivedMetric[];
    // Window metrics over a subset of rows: one narrow relation per subset, joined back by key.
    const subsets = [...new Set(metricsOfLayer.flatMap((metric) => (metric.windowRows === undefined ? [] : [metric.windowRows])))];
    let from = previous;
    if (subsets.length > 0) {
      const joined: string[] = [];
      const columns: string[] = [`${previous}.*`];
      subsets.forEach((condition, subset) => {
        const alias = `${previous}_window_${subset}`;
        const own = metricsOfLayer.filter((metric) => metric.windowRows === condition);
        ctes.push(
          `${alias} AS (\n  SELECT ${keys.join(', ')},\n    ${own.map((metric) => `${metric.expression(ctx)} AS ${metric.name}`).join(',\n    ')}\n  FROM ${previous}\n  WHERE ${condition}\n)`,
        );
        joined.push(`LEFT JOIN ${alias} ON ${keys.map((key) => `${alias}.${key} = ${previous}.${key}`).join(' AND ')}`);
        columns.push(...own.map((metric) => `${alias}.${metric.name}`));
      });
      from = `(SELECT ${columns.join(', ')}\n    FROM ${previous}\n    ${joined.join('\n    ')}) AS ${previous}_windows`;
    }
    const expressions = metricsOfLayer.filter((metric) => metric.windowRows === undefined).map((metric) => `${metric.expression(ctx)} AS ${metric.name}`);
    ctes.push(`layer_${index + 1} AS (\n  SELECT *${expressions.map((expression) => `,\n    ${expression}`).join('')}\n  FROM ${from}\n)`);
  });
  return { ctes, last: `layer_${derived.length}` };
}

function metricsOf(grain: MetricGrain): readonly MetricDefinition[] {
  return METRIC_CATALOG.filter((metric) => metric.grain === grain);
}

function findMetricOrThrow(metrics: readonly MetricDefinition[], name: string): MetricDefinition {
  const metric = metrics.find((candidate) => candidate.name === name);
  if (!metric) throw new Error(`Output column ${name} is not a metric of the catalog`);
  return metric;
}

export function compileCustomerKpis(ctx: CompileContext): CompiledQuery {
  const metrics = metricsOf('customer');
  const { ctes, last } = compileGrainLayers(ctx, { spine: customerSpine, sources: customerSources, metrics });
  const select = CUSTOMER_KPI_COLUMNS.map((column) =>
    column === 'customer_external_id'
      ? 'customer_id AS customer_external_id'
      : `${formatOutput(ctx, column, findMetricOrThrow(metrics, column).format)} AS ${column}`,
  );
  return {
    label: 'customer_kpis',
    sql: `WITH ${ctes.join(',\n')}\nSELECT ${select.join(',\n  ')}\nFROM ${last}\nORDER BY customer_id`,
    columns: CUSTOMER_KPI_COLUMNS,
    metrics: metrics.map((metric) => metric.name),
  };
}

export function compileProductKpis(ctx: CompileContext): CompiledQuery {
  const metrics = metricsOf('product');
  const { ctes, last } = compileGrainLayers(ctx, { spine: productSpine, sources: productSources, metrics });
  const select = PRODUCT_KPI_COLUMNS.map((column) =>
    column === 'sku' ? 'sku' : `${formatOutput(ctx, column, findMetricOrThrow(metrics, column).format)} AS ${column}`,
  );
  return {
    label: 'product_kpis',
    sql: `WITH ${ctes.join(',\n')}\nSELECT ${select.join(',\n  ')}\nFROM ${last}\nORDER BY sku`,
    columns: PRODUCT_KPI_COLUMNS,
    metrics: metrics.map((metric) => metric.name),
  };
}

export const METRIC_SERIES_COLUMNS = ['metric', 'grain', 'period_start', 'value'] as const;

/**
 * One row per (metric, grain, period): the per-period row of all series metrics, unpivoted by a cross
 * join with the metric names (portable where UNPIVOT syntax differs).
 */
export function compileMetricSeries(ctx: CompileContext): CompiledQuery {
  const metrics = metricsOf('series');
  const { ctes, last } = compileGrainLayers(ctx, { spine: seriesSpine, sources: seriesSources, metrics });
  const branches = SERIES_METRIC_NAMES.map(
    (name) => `WHEN ${ctx.dialect.text(name)} THEN ${formatOutput(ctx, name, findMetricOrThrow(metrics, name).format)}`,
  );
  return {
    label: 'metric_series',
    sql: `WITH ${ctes.join(',\n')}\nSELECT metric, grain, period_start, CASE metric ${branches.join(' ')} END AS value\nFROM ${last}\nCROSS JOIN ${ctx.dialect.textValues(SERIES_METRIC_NAMES, 'metric')}\nORDER BY metric, grain, period_start`,
    columns: METRIC_SERIES_COLUMNS,
    metrics: metrics.map((metric) => metric.name),
  };
}

/** The three statements of a full KPI run, in the order computeKpis runs them. */
export function compileKpiQueries(dialect: SqlDialect, params: KpiParams, options: CompileOptions = {}): CompiledQuery[] {
  const ctx = createCompileContext(dialect, params, options);
  return [compileCustomerKpis(ctx), compileProductKpis(ctx), compileMetricSeries(ctx)];
}
