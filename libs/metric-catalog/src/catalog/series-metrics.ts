import type { BaseRelation, CompileContext, GrainSpine, MetricDefinition, MetricSource } from '../metric-definition';
import type { SeriesGrain } from '../sql-dialect';

export const SERIES_GRAINS: readonly SeriesGrain[] = ['day', 'week', 'month'];

/** The period (of the row's grain) a day falls in: the day itself, its ISO week's Monday, or the 1st. */
function periodOf(ctx: CompileContext, day: string): string {
  const { dialect } = ctx;
  return `CASE grain WHEN 'day' THEN ${day} WHEN 'week' THEN ${dialect.periodStart(day, 'week')} ELSE ${dialect.periodStart(day, 'month')} END`;
}

/**
 * Rows of `relation` repeated once per grain, with the period of `day` in that grain. Sources pre-aggregate
 * per day (or keep distinct (customer, day) rows) before this fan-out, so it multiplies few rows.
 */
function perGrain(ctx: CompileContext, columns: string, day: string, relation: string): string {
  return `SELECT series_grains.grain, ${periodOf(ctx, day)} AS period_start, ${columns}
  FROM ${relation} CROSS JOIN series_grains`;
}

/**
 * One row per (grain, period, customer) for the customers of `relation` (columns customer_id and `day`):
 * a DISTINCT per grain, which costs less than COUNT(DISTINCT customer_id) per period over the fan-out.
 */
function customersPerPeriod(ctx: CompileContext, day: string, relation: string): string {
  return SERIES_GRAINS.map(
    (grain) => `SELECT '${grain}' AS grain, period_start, customer_id FROM (
      SELECT DISTINCT ${ctx.dialect.periodStart(day, grain)} AS period_start, customer_id FROM ${relation}
    ) AS ${grain}_customers`,
  ).join('\n    UNION ALL ');
}

export const seriesBaseRelations: readonly BaseRelation[] = [
  {
    name: 'series_grains',
    uses: [],
    relation: (ctx) => `SELECT grain FROM ${ctx.dialect.textValues(SERIES_GRAINS, 'grain')}`,
  },
  {
    // The series start with the period of the earliest data (orders, usage, subscriptions, NPS).
    name: 'series_bounds',
    uses: ['dated_orders'],
    relation: (ctx) => {
      const { dialect, asOfEnd } = ctx;
      const tz = ctx.params.timezone;
      return `SELECT MIN(day) AS first_day FROM (
    SELECT MIN(order_day) AS day FROM dated_orders
    UNION ALL SELECT ${dialect.localDate('MIN(occurred_at)', tz)} FROM usage_events WHERE occurred_at < ${asOfEnd}
    UNION ALL SELECT ${dialect.localDate('MIN(started_at)', tz)} FROM subscriptions WHERE started_at < ${asOfEnd} AND (ended_at IS NULL OR ended_at >= started_at)
    UNION ALL SELECT ${dialect.localDate('MIN(responded_at)', tz)} FROM nps_responses WHERE responded_at < ${asOfEnd}
  ) AS first_days`;
    },
  },
  {
    name: 'customer_order_days',
    uses: ['dated_orders'],
    relation: () => `SELECT DISTINCT customer_id, order_day FROM dated_orders`,
  },
  {
    // Each order day of a customer with the customer's next and previous order days (NULL for the last /
    // the first one). Both windows share one sort.
    name: 'order_day_runs',
    uses: ['customer_order_days'],
    relation: () => `SELECT customer_id, order_day,
    LEAD(order_day) OVER (PARTITION BY customer_id ORDER BY order_day) AS next_day,
    LAG(order_day) OVER (PARTITION BY customer_id ORDER BY order_day) AS previous_day
  FROM customer_order_days`,
  },
  {
    // MRR changes per customer and day: +mrr on the local day of started_at, -mrr on that of ended_at (if it
    // ended by the as-of day). So a subscription counts at the end of day d (t = the local midnight after d)
    // when started_at < t and (no ended_at or ended_at >= t), as customer mrr counts it: starting exactly at
    // t is starting on d + 1, ending exactly at t is still counting on d.
    name: 'subscription_changes',
    uses: [],
    relation: (ctx) => {
      const { dialect, asOfEnd } = ctx;
      const tz = ctx.params.timezone;
      const valid = `started_at < ${asOfEnd} AND (ended_at IS NULL OR ended_at >= started_at)`;
      return `SELECT customer_external_id AS customer_id, ${dialect.localDate('started_at', tz)} AS day, mrr AS delta
    FROM subscriptions WHERE ${valid}
  UNION ALL
  SELECT customer_external_id, ${dialect.localDate('ended_at', tz)}, -mrr
    FROM subscriptions WHERE ${valid} AND ended_at < ${asOfEnd}`;
    },
  },
  {
    // A customer's MRR level before and after the changes of each day they have changes.
    name: 'customer_mrr_levels',
    uses: ['subscription_changes'],
    relation: (ctx) => `SELECT customer_id, day, level_after - delta AS level_before, level_after FROM (
    SELECT customer_id, day, delta,
      SUM(delta) OVER (PARTITION BY customer_id ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS level_after
    FROM (SELECT customer_id, day, ${ctx.dialect.sumDecimal('delta')} AS delta FROM subscription_changes GROUP BY customer_id, day) AS daily
  ) AS levels`,
  },
];

export const seriesSpine: GrainSpine = {
  grain: 'series',
  keys: ['grain', 'period_start'],
  uses: ['series_bounds'],
  // Every period from the first with data to the one containing the as-of day (that last one is partial).
  relation: (ctx) =>
    SERIES_GRAINS.map((grain) => {
      const { dialect } = ctx;
      const starts = dialect.periodStarts(
        dialect.periodStart('first_day', grain),
        dialect.periodStart(ctx.asOfDay, grain),
        grain,
        '(SELECT first_day FROM series_bounds WHERE first_day IS NOT NULL) AS bounds',
      );
      return `SELECT '${grain}' AS grain, period_start FROM (${starts}) AS ${grain}_periods`;
    }).join('\n  UNION ALL '),
};

export const seriesSources: readonly MetricSource[] = [
  {
    name: 'period_orders',
    grain: 'series',
    uses: ['dated_orders', 'series_grains'],
    // Per day first (sums of sums are exact): the fan-out and the grouping per period then see days, not orders.
    relation: (ctx) =>
      perGrain(
        ctx,
        'orders, total',
        'order_day',
        `(SELECT order_day, COUNT(*) AS orders, ${ctx.dialect.sumDecimal('total')} AS total FROM dated_orders GROUP BY order_day) AS order_totals`,
      ),
  },
  {
    // Active = placed a qualifying order or had a usage event in the period; one row per (grain, period, customer).
    name: 'period_activity',
    grain: 'series',
    uses: ['customer_order_days'],
    relation: (ctx) =>
      customersPerPeriod(
        ctx,
        'day',
        `(SELECT customer_id, order_day AS day FROM customer_order_days
      UNION ALL
      SELECT customer_external_id, ${ctx.dialect.localDate('occurred_at', ctx.params.timezone)} FROM usage_events WHERE occurred_at < ${ctx.asOfEnd}) AS active_days`,
      ),
  },
  {
    name: 'period_first_orders',
    grain: 'series',
    // A customer's first order day is the one without a previous order day.
    uses: ['order_day_runs', 'series_grains'],
    relation: (ctx) =>
      perGrain(
        ctx,
        'customers',
        'first_day',
        `(SELECT order_day AS first_day, COUNT(*) AS customers FROM order_day_runs WHERE previous_day IS NULL GROUP BY order_day) AS first_days`,
      ),
  },
  {
    // A customer churns on the day their last order becomes more than churnWindowDays old:
    // order day + window + 1, unless they ordered again by then; only churn days up to the as-of day count.
    name: 'period_churn_events',
    grain: 'series',
    uses: ['order_day_runs'],
    relation: (ctx) => {
      const { dialect } = ctx;
      const window = ctx.params.churnWindowDays;
      const churnDay = dialect.addDays('order_day', window + 1);
      // A customer may churn more than once in a week or month: one row per (grain, period, customer).
      return customersPerPeriod(
        ctx,
        'churn_day',
        `(SELECT customer_id, ${churnDay} AS churn_day FROM order_day_runs
      WHERE (next_day IS NULL OR ${dialect.daysBetween('order_day', 'next_day')} > ${window}) AND ${churnDay} <= ${ctx.asOfDay}) AS churns`,
      );
    },
  },
  {
    // Alive (ordered within the churn window) from an order day until the churn day or the next order
    // day: +1 on the order day, -1 on the earlier of the two. The running sum before a period is the
    // number of customers active at its start (the churn-rate base).
    name: 'period_alive_changes',
    grain: 'series',
    uses: ['order_day_runs', 'series_grains'],
    relation: (ctx) => {
      const { dialect } = ctx;
      const churnDay = dialect.addDays('order_day', ctx.params.churnWindowDays + 1);
      const endDay = `CASE WHEN next_day IS NOT NULL AND next_day < ${churnDay} THEN next_day ELSE ${churnDay} END`;
      return perGrain(
        ctx,
        'delta',
        'day',
        `(SELECT day, SUM(delta) AS delta FROM (
      SELECT order_day AS day, 1 AS delta FROM order_day_runs
      UNION ALL
      SELECT ${endDay}, -1 FROM order_day_runs WHERE ${endDay} <= ${ctx.asOfDay}
    ) AS alive_changes GROUP BY day) AS daily_alive_changes`,
      );
    },
  },
  {
    name: 'period_mrr_changes',
    grain: 'series',
    uses: ['subscription_changes', 'series_grains'],
    relation: (ctx) => perGrain(ctx, 'delta', 'day', 'subscription_changes'),
  },
  {
    // Per customer with MRR changes in a period: the level before the period's first change (= at the
    // period start) and after its last change (= at the period end).
    name: 'period_mrr_moves',
    grain: 'series',
    uses: ['customer_mrr_levels', 'series_grains'],
    relation: (ctx) => `SELECT grain, period_start, customer_id,
    ${ctx.dialect.sumDecimal('CASE WHEN first_in_period = 1 THEN level_before ELSE 0 END')} AS start_level,
    ${ctx.dialect.sumDecimal('CASE WHEN last_in_period = 1 THEN level_after ELSE 0 END')} AS end_level
  FROM (
    SELECT grain, period_start, customer_id, level_before, level_after,
      ROW_NUMBER() OVER (PARTITION BY grain, period_start, customer_id ORDER BY day ASC) AS first_in_period,
      ROW_NUMBER() OVER (PARTITION BY grain, period_start, customer_id ORDER BY day DESC) AS last_in_period
    FROM (${perGrain(ctx, 'customer_id, day, level_before, level_after', 'day', 'customer_mrr_levels')}) AS level_rows
  ) AS ranked
  GROUP BY grain, period_start, customer_id`,
  },
  {
    // All responses in the period (a customer answering twice counts twice).
    name: 'period_nps',
    grain: 'series',
    uses: ['series_grains'],
    relation: (ctx) =>
      perGrain(
        ctx,
        'score',
        'day',
        `(SELECT score, ${ctx.dialect.localDate('responded_at', ctx.params.timezone)} AS day FROM nps_responses WHERE responded_at < ${ctx.asOfEnd}) AS responses`,
      ),
  },
];

const ordersInputs = ['orders.customer_external_id', 'orders.ordered_at', 'orders.status', 'orders.total'];
const subscriptionInputs = [
  'subscriptions.customer_external_id',
  'subscriptions.mrr',
  'subscriptions.started_at',
  'subscriptions.ended_at',
];
const value6 = { kind: 'decimal', scale: 6 } as const;
// Over per-period sums (counts, or money already summed with sumDecimal: wide enough on both engines).
const runningTotal = (column: string, frame: string) =>
  `SUM(${column}) OVER (PARTITION BY grain ORDER BY period_start ROWS BETWEEN UNBOUNDED PRECEDING AND ${frame})`;

function seriesCount(name: string, source: string, aggregate: string, description: string, inputs: readonly string[], internal = false): MetricDefinition {
  return { name, grain: 'series', kind: 'aggregate', source, description, unit: 'count', inputs, aggregate: () => aggregate, empty: '0', format: value6, internal };
}

export const seriesMetrics: readonly MetricDefinition[] = [
  {
    name: 'revenue',
    grain: 'series',
    kind: 'aggregate',
    source: 'period_orders',
    description: 'Revenue of qualifying orders placed in the period.',
    unit: 'currency',
    inputs: ordersInputs,
    aggregate: (ctx) => ctx.dialect.sumDecimal('total'),
    empty: '0',
    format: value6,
  },
  seriesCount('orders', 'period_orders', 'SUM(orders)', 'Qualifying orders placed in the period.', ordersInputs),
  seriesCount(
    'active_customers',
    'period_activity',
    'COUNT(*)',
    'Customers with a qualifying order or a usage event in the period.',
    [...ordersInputs, 'usage_events.customer_external_id', 'usage_events.occurred_at'],
  ),
  seriesCount('new_customers', 'period_first_orders', 'SUM(customers)', 'Customers whose first qualifying order is in the period.', ordersInputs),
  seriesCount(
    'churned_customers',
    'period_churn_events',
    'COUNT(*)',
    'Customers whose last qualifying order became more than churnWindowDays old during the period.',
    ordersInputs,
  ),
  seriesCount('alive_change', 'period_alive_changes', 'SUM(delta)', 'Net change of customers within the churn window.', ordersInputs, true),
  {
    name: 'customers_at_start',
    grain: 'series',
    kind: 'derived',
    internal: true,
    dependsOn: ['alive_change'],
    description:
      'Customers active at the period start: not churned at the end of the day before it (their last qualifying order up to that day at most churnWindowDays days before that day).',
    unit: 'count',
    inputs: ordersInputs,
    expression: () => `COALESCE(${runningTotal('alive_change', '1 PRECEDING')}, 0)`,
    format: value6,
  },
  {
    name: 'churn_rate',
    grain: 'series',
    kind: 'derived',
    dependsOn: ['churned_customers', 'customers_at_start'],
    description: 'churned_customers / customers active at the period start (0-1); NULL without such customers.',
    unit: 'ratio',
    inputs: ordersInputs,
    expression: (ctx) => ctx.dialect.divideRounded('churned_customers', 'customers_at_start', 6),
    format: value6,
  },
  {
    name: 'mrr_change',
    grain: 'series',
    kind: 'aggregate',
    source: 'period_mrr_changes',
    internal: true,
    description: 'Net MRR change in the period.',
    unit: 'currency',
    inputs: subscriptionInputs,
    aggregate: (ctx) => ctx.dialect.sumDecimal('delta'),
    empty: '0',
    format: value6,
  },
  {
    name: 'mrr',
    grain: 'series',
    kind: 'derived',
    dependsOn: ['mrr_change'],
    description: 'MRR at the end of the period (of the as-of day for the current period).',
    unit: 'currency',
    inputs: subscriptionInputs,
    expression: () => runningTotal('mrr_change', 'CURRENT ROW'),
    format: value6,
  },
  {
    name: 'mrr_at_start',
    grain: 'series',
    kind: 'derived',
    internal: true,
    dependsOn: ['mrr', 'mrr_change'],
    description: 'MRR at the start of the period (end of the previous one).',
    unit: 'currency',
    inputs: subscriptionInputs,
    expression: () => 'mrr - mrr_change',
    format: value6,
  },
  ...(
    [
      ['mrr_expansion', 'CASE WHEN start_level > 0 AND end_level > start_level THEN end_level - start_level ELSE 0 END', 'MRR gained by customers who had MRR at the period start.'],
      ['mrr_contraction', 'CASE WHEN start_level > 0 AND end_level > 0 AND end_level < start_level THEN start_level - end_level ELSE 0 END', 'MRR lost by customers who kept some MRR.'],
      ['mrr_churned', 'CASE WHEN start_level > 0 AND end_level <= 0 THEN start_level ELSE 0 END', 'Start MRR of customers who ended the period without MRR.'],
    ] as const
  ).map(
    ([name, expression, description]): MetricDefinition => ({
      name,
      grain: 'series',
      kind: 'aggregate',
      source: 'period_mrr_moves',
      internal: true,
      description,
      unit: 'currency',
      inputs: subscriptionInputs,
      aggregate: (ctx) => ctx.dialect.sumDecimal(expression),
      empty: '0',
      format: value6,
    }),
  ),
  {
    name: 'nrr',
    grain: 'series',
    kind: 'derived',
    dependsOn: ['mrr_at_start', 'mrr_expansion', 'mrr_contraction', 'mrr_churned'],
    description: 'Net revenue retention of the cohort with MRR at the period start: (start + expansion - contraction - churned) / start.',
    unit: 'ratio',
    inputs: subscriptionInputs,
    expression: (ctx) => ctx.dialect.divideRounded('mrr_at_start + mrr_expansion - mrr_contraction - mrr_churned', 'mrr_at_start', 6),
    format: value6,
  },
  {
    name: 'grr',
    grain: 'series',
    kind: 'derived',
    dependsOn: ['mrr_at_start', 'mrr_contraction', 'mrr_churned'],
    description: 'Gross revenue retention: (start - contraction - churned) / start; at most 1 by construction.',
    unit: 'ratio',
    inputs: subscriptionInputs,
    expression: (ctx) => ctx.dialect.divideRounded('mrr_at_start - mrr_contraction - mrr_churned', 'mrr_at_start', 6),
    format: value6,
  },
  {
    name: 'nps',
    grain: 'series',
    kind: 'aggregate',
    source: 'period_nps',
    description: 'Net promoter score of the responses in the period: %promoters (9-10) - %detractors (0-6), -100..100.',
    unit: 'score',
    inputs: ['nps_responses.score', 'nps_responses.responded_at'],
    aggregate: (ctx) => ctx.dialect.divideRounded('100 * SUM(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 ELSE 0 END)', 'COUNT(*)', 6),
    empty: 'NULL',
    format: value6,
  },
];

/** Series metric names written to metric_series, in output order. */
export const SERIES_METRIC_NAMES = seriesMetrics.filter((metric) => !metric.internal).map((metric) => metric.name);
