import type { BaseRelation, GrainSpine, MetricDefinition, MetricSource } from '../metric-definition';

/** One row per (SKU, buyer) of the qualifying lines, with the buyer's first and last purchase day of it. */
export const skuBuyerDays: BaseRelation = {
  name: 'sku_buyer_days',
  uses: ['purchased_items'],
  relation: () => `SELECT sku, customer_id, MIN(order_day) AS first_day, MAX(order_day) AS last_day
  FROM purchased_items GROUP BY sku, customer_id`,
};

export const productSpine: GrainSpine = {
  grain: 'product',
  keys: ['sku'],
  uses: ['known_skus'],
  relation: () => `SELECT sku FROM known_skus`,
};

export const productSources: readonly MetricSource[] = [
  {
    name: 'sku_lines',
    grain: 'product',
    uses: ['purchased_items'],
    relation: () => `SELECT sku, ordered_at, quantity, unit_price FROM purchased_items`,
  },
  {
    // One row per (SKU, buyer): their first and last purchase day (tenant timezone). The buyer bought the
    // SKU on at least two distinct days exactly when the last day is after the first.
    name: 'sku_buyers',
    grain: 'product',
    uses: ['sku_buyer_days'],
    relation: () => `SELECT sku, customer_id, first_day, last_day FROM sku_buyer_days`,
  },
  {
    // Reorder intervals: per (SKU, buyer), the days between consecutive distinct purchase days of the SKU;
    // the median is over all intervals of all buyers of the SKU. Only repeat buyers have intervals, so only
    // their lines are ranked (most (SKU, buyer) pairs are a single purchase).
    name: 'sku_reorder_median',
    grain: 'product',
    uses: ['purchased_items', 'sku_buyer_days'],
    relation: (ctx) => {
      const intervals = `(
    SELECT sku, ${ctx.dialect.daysBetween('previous_day', 'order_day')} AS interval_days FROM (
      SELECT sku, order_day, LAG(order_day) OVER (PARTITION BY sku, customer_id ORDER BY order_day) AS previous_day
      FROM (
        SELECT DISTINCT items.sku, items.customer_id, items.order_day
        FROM purchased_items AS items
        JOIN sku_buyer_days AS repeat_buyers
          ON repeat_buyers.sku = items.sku AND repeat_buyers.customer_id = items.customer_id AND repeat_buyers.last_day > repeat_buyers.first_day
      ) AS purchase_days
    ) AS consecutive WHERE previous_day IS NOT NULL
  ) AS reorder_intervals`;
      return ctx.dialect.medianByGroup(intervals, 'sku', 'interval_days', 'median_interval_days');
    },
  },
];

const itemInputs = [
  'order_items.order_external_id',
  'order_items.sku',
  'order_items.quantity',
  'order_items.unit_price',
  'orders.customer_external_id',
  'orders.ordered_at',
  'orders.status',
];

export const productMetrics: readonly MetricDefinition[] = [
  {
    name: 'first_purchase_at',
    grain: 'product',
    kind: 'aggregate',
    source: 'sku_lines',
    description: 'Instant of the first qualifying order containing the SKU.',
    unit: 'instant',
    inputs: itemInputs,
    aggregate: () => 'MIN(ordered_at)',
    empty: 'NULL',
    format: { kind: 'timestamp' },
  },
  {
    name: 'last_purchase_at',
    grain: 'product',
    kind: 'aggregate',
    source: 'sku_lines',
    description: 'Instant of the last qualifying order containing the SKU, up to the as-of day.',
    unit: 'instant',
    inputs: itemInputs,
    aggregate: () => 'MAX(ordered_at)',
    empty: 'NULL',
    format: { kind: 'timestamp' },
  },
  {
    name: 'days_since_last_purchase',
    grain: 'product',
    kind: 'derived',
    dependsOn: ['last_purchase_at'],
    description: 'Calendar days from the day of the last purchase to the as-of day (tenant timezone).',
    unit: 'days',
    inputs: itemInputs,
    expression: (ctx) => ctx.dialect.daysBetween(ctx.dialect.localDate('last_purchase_at', ctx.params.timezone), ctx.asOfDay),
    format: { kind: 'integer' },
  },
  {
    name: 'units',
    grain: 'product',
    kind: 'aggregate',
    source: 'sku_lines',
    description: 'Sum of quantity over lines of qualifying orders.',
    unit: 'count',
    inputs: itemInputs,
    aggregate: (ctx) => ctx.dialect.sumDecimal('quantity'),
    empty: '0',
    format: { kind: 'decimal', scale: 4 },
  },
  {
    name: 'revenue',
    grain: 'product',
    kind: 'aggregate',
    source: 'sku_lines',
    description: 'Sum of quantity * unit_price over lines of qualifying orders.',
    unit: 'currency',
    inputs: itemInputs,
    aggregate: (ctx) => ctx.dialect.sumDecimal(ctx.dialect.multiplyDecimal('quantity', 'unit_price')),
    empty: '0',
    format: { kind: 'decimal', scale: 4 },
  },
  {
    name: 'distinct_buyers',
    grain: 'product',
    kind: 'aggregate',
    source: 'sku_buyers',
    description: 'Customers who bought the SKU in a qualifying order.',
    unit: 'count',
    inputs: itemInputs,
    aggregate: () => 'COUNT(*)',
    empty: '0',
    format: { kind: 'integer' },
  },
  {
    name: 'repeat_buyers',
    grain: 'product',
    kind: 'aggregate',
    source: 'sku_buyers',
    internal: true,
    description: 'Buyers who bought the SKU on at least two distinct days.',
    unit: 'count',
    inputs: itemInputs,
    aggregate: () => 'SUM(CASE WHEN last_day > first_day THEN 1 ELSE 0 END)',
    empty: '0',
    format: { kind: 'integer' },
  },
  {
    name: 'repeat_buyer_rate',
    grain: 'product',
    kind: 'derived',
    dependsOn: ['repeat_buyers', 'distinct_buyers'],
    description: 'repeat_buyers / distinct_buyers (0-1); NULL without buyers.',
    unit: 'ratio',
    inputs: itemInputs,
    expression: (ctx) => ctx.dialect.divideRounded('repeat_buyers', 'distinct_buyers', 6),
    format: { kind: 'decimal', scale: 6 },
  },
  {
    name: 'median_reorder_interval_days',
    grain: 'product',
    kind: 'aggregate',
    source: 'sku_reorder_median',
    description:
      'Median (interpolated) over all buyers of the days between consecutive distinct purchase days of the SKU by the same buyer; NULL without repeat buyers.',
    unit: 'days',
    inputs: itemInputs,
    aggregate: () => 'MAX(median_interval_days)',
    empty: 'NULL',
    format: { kind: 'decimal', scale: 2 },
  },
];

/** Output columns of product_kpis, in order (defined in docs/metrics.md, "Product (SKU) KPIs"). */
export const PRODUCT_KPI_COLUMNS = [
  'sku',
  'first_purchase_at',
  'last_purchase_at',
  'days_since_last_purchase',
  'units',
  'revenue',
  'distinct_buyers',
  'repeat_buyer_rate',
  'median_reorder_interval_days',
] as const;
