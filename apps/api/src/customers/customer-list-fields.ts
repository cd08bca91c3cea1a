import type { SortColumn } from './keyset-pagination';

/**
 * Fields of GET /v1/customers that can be sorted on (and, KPIs only, range-filtered), by their API name
 * (as in the CustomerDto) -> SQL column of customers (c) or customer_kpis (k). Every KPI is nullable
 * here: a customer without a customer_kpis row has none (LEFT JOIN). KPI columns lead with
 * k.customer_id so their (kpi, customer_id) index serves ORDER BY and the cursor condition.
 */
const kpi = (sql: string, type: SortColumn['type']): SortColumn => ({ sql: `k.${sql}`, type, nullable: true, tiebreakerSql: 'k.customer_id' });

export const CUSTOMER_KPI_FIELDS = {
  orders: kpi('orders_count', 'integer'),
  firstOrderAt: kpi('first_order_at', 'timestamptz'),
  lastOrderAt: kpi('last_order_at', 'timestamptz'),
  daysSinceLastOrder: kpi('days_since_last_order', 'integer'),
  revenueTotal: kpi('revenue_total', 'numeric'),
  revenue30d: kpi('revenue_30d', 'numeric'),
  revenue90d: kpi('revenue_90d', 'numeric'),
  revenue365d: kpi('revenue_365d', 'numeric'),
  averageOrderValue: kpi('aov', 'numeric'),
  mrr: kpi('mrr', 'numeric'),
  lastNps: kpi('last_nps', 'integer'),
  openTickets: kpi('open_tickets', 'integer'),
  rfmRecency: kpi('rfm_recency', 'integer'),
  rfmFrequency: kpi('rfm_frequency', 'integer'),
  rfmMonetary: kpi('rfm_monetary', 'integer'),
  healthScore: kpi('health_score', 'integer'),
} as const satisfies Record<string, SortColumn>;

export type CustomerKpiField = keyof typeof CUSTOMER_KPI_FIELDS;

export const CUSTOMER_SORT_FIELDS: Readonly<Record<string, SortColumn>> = {
  name: { sql: 'c.name', type: 'text', nullable: true, tiebreakerSql: 'c.id' },
  ...CUSTOMER_KPI_FIELDS,
};

export const CUSTOMER_TIEBREAKER = { sql: 'c.id', type: 'bigint' } as const;

export const RANGE_OPERATORS = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;
export type RangeOperator = keyof typeof RANGE_OPERATORS;
