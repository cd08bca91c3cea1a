import type { CompileContext, GrainSpine, MetricDefinition, MetricSource } from '../metric-definition';
import { RFM_SEGMENT_RULES } from './rfm-segments';

export const customerSpine: GrainSpine = {
  grain: 'customer',
  keys: ['customer_id'],
  uses: [],
  // Every customer gets a row, also those without orders (their counts are 0, their dates NULL), except
  // customers who only became customers after the as-of day (customer_since later; unknown = included).
  relation: (ctx) => `SELECT DISTINCT external_id AS customer_id FROM customers
  WHERE customer_since IS NULL OR customer_since <= ${ctx.asOfDay}`,
};

// Ticket statuses that mean "closed" for a ticket without closed_at (then its current state is all we know).
const CLOSED_TICKET_STATUSES = ['closed', 'resolved', 'solved'];

export const customerSources: readonly MetricSource[] = [
  {
    name: 'customer_orders',
    grain: 'customer',
    uses: ['qualifying_orders'],
    relation: () => `SELECT customer_id, ordered_at, total FROM qualifying_orders`,
  },
  {
    // A subscription is active at the end of the as-of day when it started before asOfEnd and had not ended
    // before it (ended_at = asOfEnd still counts: its state during the last instant of the as-of day).
    // Its status is ignored: it is the current state, which would make past as-of runs drift.
    name: 'customer_active_subscriptions',
    grain: 'customer',
    uses: [],
    relation: (ctx) => `SELECT customer_external_id AS customer_id, mrr FROM subscriptions
  WHERE started_at < ${ctx.asOfEnd} AND (ended_at IS NULL OR ended_at >= ${ctx.asOfEnd})`,
  },
  {
    // The latest response up to the as-of day (several at the same instant: the highest score wins, below).
    name: 'customer_latest_nps',
    grain: 'customer',
    uses: [],
    relation: (ctx) => `SELECT customer_id, score FROM (
    SELECT customer_external_id AS customer_id, score, responded_at,
      MAX(responded_at) OVER (PARTITION BY customer_external_id) AS latest_at
    FROM nps_responses WHERE responded_at < ${ctx.asOfEnd}
  ) AS responses WHERE responded_at = latest_at`,
  },
  {
    // Open at the end of the as-of day: opened before, and closed after it (or never, unless the status
    // already says closed for a ticket without closed_at).
    name: 'customer_open_tickets',
    grain: 'customer',
    uses: [],
    relation: (ctx) => `SELECT customer_external_id AS customer_id FROM support_tickets
  WHERE opened_at < ${ctx.asOfEnd}
    AND (closed_at >= ${ctx.asOfEnd}
      OR (closed_at IS NULL AND (status IS NULL OR LOWER(${ctx.dialect.trimmed('status')}) NOT IN (${CLOSED_TICKET_STATUSES.map((status) => ctx.dialect.text(status)).join(', ')}))))`,
  },
  {
    name: 'customer_usage_30d',
    grain: 'customer',
    uses: [],
    relation: (ctx) => `SELECT customer_external_id AS customer_id FROM usage_events
  WHERE occurred_at >= ${ctx.windowStart(30)} AND occurred_at < ${ctx.asOfEnd}`,
  },
];

const ordersInputs = ['orders.customer_external_id', 'orders.ordered_at', 'orders.status', 'orders.total'];

function revenueInWindow(days: number): MetricDefinition {
  return {
    name: `revenue_${days}d`,
    grain: 'customer',
    kind: 'aggregate',
    source: 'customer_orders',
    description: `Revenue of qualifying orders placed in the last ${days} days (the as-of day and the ${days - 1} before, tenant timezone).`,
    unit: 'currency',
    inputs: ordersInputs,
    aggregate: (ctx) => ctx.dialect.sumDecimal(`CASE WHEN ordered_at >= ${ctx.windowStart(days)} THEN total ELSE 0 END`),
    empty: '0',
    format: { kind: 'decimal', scale: 4 },
  };
}

/** The customers the RFM quintiles rank: those with orders (the others get NULL scores). */
const RANKED_CUSTOMERS = 'orders_count > 0';

/**
 * Quintile score 1-5 among customers with orders (evaluated over those rows only, see `windowRows`):
 * 1 + floor(5 * (rank - 1) / n) with SQL RANK(), so tied values always share a score (NTILE would split
 * ties arbitrarily and make runs irreproducible).
 */
function quintile(ctx: CompileContext, orderBy: string): string {
  return `${ctx.dialect.integerDivide(`5 * (RANK() OVER (ORDER BY ${orderBy}) - 1)`, 'COUNT(*) OVER ()')} + 1`;
}

function segmentCase(ctx: CompileContext): string {
  const branches = RFM_SEGMENT_RULES.map((rule) => {
    const [rLow, rHigh] = rule.recency;
    const [fmLow, fmHigh] = rule.frequencyMonetary;
    return `WHEN rfm_recency BETWEEN ${rLow} AND ${rHigh} AND rfm_fm BETWEEN ${fmLow} AND ${fmHigh} THEN ${ctx.dialect.text(rule.segment)}`;
  });
  return `CASE ${branches.join(' ')} END`;
}

export const customerMetrics: readonly MetricDefinition[] = [
  {
    name: 'orders_count',
    grain: 'customer',
    kind: 'aggregate',
    source: 'customer_orders',
    description: 'Number of qualifying orders up to the as-of day.',
    unit: 'count',
    inputs: ordersInputs,
    aggregate: () => 'COUNT(*)',
    empty: '0',
    format: { kind: 'integer' },
  },
  {
    name: 'first_order_at',
    grain: 'customer',
    kind: 'aggregate',
    source: 'customer_orders',
    description: 'Instant of the first qualifying order.',
    unit: 'instant',
    inputs: ordersInputs,
    aggregate: () => 'MIN(ordered_at)',
    empty: 'NULL',
    format: { kind: 'timestamp' },
  },
  {
    name: 'last_order_at',
    grain: 'customer',
    kind: 'aggregate',
    source: 'customer_orders',
    description: 'Instant of the last qualifying order up to the as-of day.',
    unit: 'instant',
    inputs: ordersInputs,
    aggregate: () => 'MAX(ordered_at)',
    empty: 'NULL',
    format: { kind: 'timestamp' },
  },
  {
    name: 'days_since_last_order',
    grain: 'customer',
    kind: 'derived',
    dependsOn: ['last_order_at'],
    description: 'Calendar days from the day of the last qualifying order to the as-of day (tenant timezone); NULL without orders.',
    unit: 'days',
    inputs: ordersInputs,
    expression: (ctx) => ctx.dialect.daysBetween(ctx.dialect.localDate('last_order_at', ctx.params.timezone), ctx.asOfDay),
    format: { kind: 'integer' },
  },
  {
    name: 'revenue_total',
    grain: 'customer',
    kind: 'aggregate',
    source: 'customer_orders',
    description: 'Revenue of all qualifying orders up to the as-of day.',
    unit: 'currency',
    inputs: ordersInputs,
    aggregate: (ctx) => ctx.dialect.sumDecimal('total'),
    empty: '0',
    format: { kind: 'decimal', scale: 4 },
  },
  revenueInWindow(30),
  revenueInWindow(90),
  revenueInWindow(365),
  {
    name: 'orders_30d',
    grain: 'customer',
    kind: 'aggregate',
    source: 'customer_orders',
    internal: true,
    description: 'Qualifying orders in the last 30 days (feeds active_30d).',
    unit: 'count',
    inputs: ordersInputs,
    aggregate: (ctx) => `SUM(CASE WHEN ordered_at >= ${ctx.windowStart(30)} THEN 1 ELSE 0 END)`,
    empty: '0',
    format: { kind: 'integer' },
  },
  {
    name: 'aov',
    grain: 'customer',
    kind: 'derived',
    dependsOn: ['revenue_total', 'orders_count'],
    description: 'Average order value: revenue_total / orders_count; NULL without orders.',
    unit: 'currency',
    inputs: ordersInputs,
    expression: (ctx) => ctx.dialect.divideRounded('revenue_total', 'orders_count', 4),
    format: { kind: 'decimal', scale: 4 },
  },
  {
    name: 'rfm_recency',
    grain: 'customer',
    kind: 'derived',
    dependsOn: ['orders_count', 'days_since_last_order'],
    description: 'Recency quintile 1-5 among customers with orders (5 = most recent); NULL without orders.',
    unit: 'score',
    inputs: ordersInputs,
    expression: (ctx) => quintile(ctx, 'days_since_last_order DESC'),
    windowRows: RANKED_CUSTOMERS,
    format: { kind: 'integer' },
  },
  {
    name: 'rfm_frequency',
    grain: 'customer',
    kind: 'derived',
    dependsOn: ['orders_count'],
    description: 'Frequency quintile 1-5 of orders_count among customers with orders (5 = most orders).',
    unit: 'score',
    inputs: ordersInputs,
    expression: (ctx) => quintile(ctx, 'orders_count ASC'),
    windowRows: RANKED_CUSTOMERS,
    format: { kind: 'integer' },
  },
  {
    name: 'rfm_monetary',
    grain: 'customer',
    kind: 'derived',
    dependsOn: ['orders_count', 'revenue_total'],
    description: 'Monetary quintile 1-5 of revenue_total among customers with orders (5 = highest revenue).',
    unit: 'score',
    inputs: ordersInputs,
    expression: (ctx) => quintile(ctx, 'revenue_total ASC'),
    windowRows: RANKED_CUSTOMERS,
    format: { kind: 'integer' },
  },
  {
    name: 'rfm_fm',
    grain: 'customer',
    kind: 'derived',
    internal: true,
    dependsOn: ['rfm_frequency', 'rfm_monetary'],
    description: 'Frequency-monetary score: (F + M) / 2 rounded half up.',
    unit: 'score',
    inputs: ordersInputs,
    expression: (ctx) => ctx.dialect.integerDivide('rfm_frequency + rfm_monetary + 1', '2'),
    format: { kind: 'integer' },
  },
  {
    name: 'rfm_segment',
    grain: 'customer',
    kind: 'derived',
    dependsOn: ['rfm_recency', 'rfm_fm'],
    description: 'Named RFM segment from the (R, FM) grid in docs/metrics.md; NULL without orders.',
    unit: 'segment',
    inputs: ordersInputs,
    expression: (ctx) => segmentCase(ctx),
    format: { kind: 'text' },
  },
  {
    name: 'mrr',
    grain: 'customer',
    kind: 'aggregate',
    source: 'customer_active_subscriptions',
    description: 'Sum of mrr of the subscriptions active at the end of the as-of day.',
    unit: 'currency',
    inputs: ['subscriptions.customer_external_id', 'subscriptions.mrr', 'subscriptions.started_at', 'subscriptions.ended_at'],
    aggregate: (ctx) => ctx.dialect.sumDecimal('mrr'),
    empty: '0',
    format: { kind: 'decimal', scale: 4 },
  },
  {
    name: 'last_nps',
    grain: 'customer',
    kind: 'aggregate',
    source: 'customer_latest_nps',
    description: 'Score 0-10 of the latest NPS response up to the as-of day; NULL without responses.',
    unit: 'score',
    inputs: ['nps_responses.customer_external_id', 'nps_responses.score', 'nps_responses.responded_at'],
    aggregate: () => 'MAX(score)',
    empty: 'NULL',
    format: { kind: 'integer' },
  },
  {
    name: 'open_tickets',
    grain: 'customer',
    kind: 'aggregate',
    source: 'customer_open_tickets',
    description: 'Support tickets open at the end of the as-of day.',
    unit: 'count',
    inputs: ['support_tickets.customer_external_id', 'support_tickets.opened_at', 'support_tickets.closed_at', 'support_tickets.status'],
    aggregate: () => 'COUNT(*)',
    empty: '0',
    format: { kind: 'integer' },
  },
  {
    name: 'usage_30d',
    grain: 'customer',
    kind: 'aggregate',
    source: 'customer_usage_30d',
    internal: true,
    description: 'Usage events in the last 30 days (feeds active_30d).',
    unit: 'count',
    inputs: ['usage_events.customer_external_id', 'usage_events.occurred_at'],
    aggregate: () => 'COUNT(*)',
    empty: '0',
    format: { kind: 'integer' },
  },
  {
    name: 'active_30d',
    grain: 'customer',
    kind: 'derived',
    dependsOn: ['orders_30d', 'usage_30d'],
    description: 'Whether the customer placed a qualifying order or had a usage event in the last 30 days.',
    unit: 'flag',
    inputs: [...ordersInputs, 'usage_events.customer_external_id', 'usage_events.occurred_at'],
    expression: () => '(orders_30d > 0 OR usage_30d > 0)',
    format: { kind: 'boolean' },
  },
];

/** Output columns of customer_kpis, in order (defined in docs/metrics.md, "Customer KPIs"). */
export const CUSTOMER_KPI_COLUMNS = [
  'customer_external_id',
  'orders_count',
  'first_order_at',
  'last_order_at',
  'days_since_last_order',
  'revenue_total',
  'revenue_30d',
  'revenue_90d',
  'revenue_365d',
  'aov',
  'rfm_recency',
  'rfm_frequency',
  'rfm_monetary',
  'rfm_segment',
  'mrr',
  'last_nps',
  'open_tickets',
  'active_30d',
] as const;
