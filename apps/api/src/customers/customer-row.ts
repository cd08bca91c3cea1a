import type { CustomerDto, CustomerListItemDto } from './customer.schemas';

/** One entry of health_scores.contributions as the metrics service writes it (@pulse/health-scoring's HealthContribution). */
export interface StoredHealthContribution {
  measure: string;
  value: number | null;
  weight: number;
  score: number | null;
  points: number;
}

/**
 * One customer joined with its KPIs, as the SQL of this module selects it. Numeric columns arrive as
 * strings from `pg` (exact decimals, never floats) and stay strings in the API; dates and instants
 * arrive already in their API form (see CUSTOMER_COLUMNS).
 */
export interface CustomerRow {
  id: string;
  external_id: string;
  name: string | null;
  email: string | null;
  segment: string | null;
  plan: string | null;
  owner: string | null;
  customer_since: string | null;
  custom: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  as_of: string | null;
  orders_count: number | null;
  first_order_at: string | null;
  last_order_at: string | null;
  days_since_last_order: number | null;
  revenue_total: string | null;
  revenue_30d: string | null;
  revenue_90d: string | null;
  revenue_365d: string | null;
  aov: string | null;
  rfm_recency: number | null;
  rfm_frequency: number | null;
  rfm_monetary: number | null;
  rfm_segment: string | null;
  mrr: string | null;
  last_nps: number | null;
  open_tickets: number | null;
  active_30d: boolean | null;
  health_score: number | null;
  health_band: 'red' | 'yellow' | 'green' | null;
  health_trend: string | null;
}

/**
 * An instant as the API writes it: ISO-8601 in UTC with milliseconds, exactly what Date#toISOString
 * gives (both truncate microseconds). Formatted by PostgreSQL because parsing timestamptz text into a
 * Date and formatting it again cost about 1.6 µs per value in Node, 200 values on a 50-customer page
 * (docs/benchmarks.md, "API").
 */
const isoInstant = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Columns of customers (c) and customer_kpis (k) that CustomerRow expects; dates and instants formatted in SQL. */
export const CUSTOMER_COLUMNS = `
  c.id, c.external_id, c.name, c.email, c.segment, c.plan, c.owner,
  to_char(c.customer_since, 'YYYY-MM-DD') AS customer_since, c.custom,
  ${isoInstant('c.created_at')} AS created_at, ${isoInstant('c.updated_at')} AS updated_at,
  to_char(k.as_of, 'YYYY-MM-DD') AS as_of, k.orders_count,
  ${isoInstant('k.first_order_at')} AS first_order_at, ${isoInstant('k.last_order_at')} AS last_order_at,
  k.days_since_last_order, k.revenue_total, k.revenue_30d, k.revenue_90d, k.revenue_365d, k.aov,
  k.rfm_recency, k.rfm_frequency, k.rfm_monetary, k.rfm_segment, k.mrr, k.last_nps, k.open_tickets,
  k.active_30d, k.health_score, k.health_band, k.health_trend`;

/** Maps a row to a customer as lists show it (everything but the aliases). */
export function toCustomerListItemDto(row: CustomerRow, currency: string): CustomerListItemDto {
  const hasKpis = row.as_of !== null;
  return {
    externalId: row.external_id,
    currency,
    name: row.name,
    email: row.email,
    segment: row.segment,
    plan: row.plan,
    owner: row.owner,
    customerSince: row.customer_since,
    custom: row.custom ?? {},
    kpis: hasKpis
      ? {
          asOf: row.as_of as string,
          orders: row.orders_count ?? 0,
          firstOrderAt: row.first_order_at,
          lastOrderAt: row.last_order_at,
          daysSinceLastOrder: row.days_since_last_order,
          revenueTotal: row.revenue_total ?? '0',
          revenue30d: row.revenue_30d ?? '0',
          revenue90d: row.revenue_90d ?? '0',
          revenue365d: row.revenue_365d ?? '0',
          averageOrderValue: row.aov,
          rfm: { recency: row.rfm_recency, frequency: row.rfm_frequency, monetary: row.rfm_monetary, segment: row.rfm_segment },
          mrr: row.mrr ?? '0',
          lastNps: row.last_nps,
          openTickets: row.open_tickets ?? 0,
          active30d: row.active_30d ?? false,
        }
      : null,
    health: row.health_score !== null || row.health_band !== null ? { score: row.health_score, band: row.health_band, trend: row.health_trend } : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Maps a row, its aliases and the contributions behind its health score to the customer resource. The
 * stored entries are copied field by field: the response carries what its schema documents, nothing else.
 */
export function toCustomerDto(
  row: CustomerRow,
  currency: string,
  detail: { aliases: CustomerDto['aliases']; contributions: readonly StoredHealthContribution[] | null },
): CustomerDto {
  const item = toCustomerListItemDto(row, currency);
  const contributions =
    detail.contributions?.map(({ measure, value, weight, score, points }) => ({ measure, value: value ?? null, weight, score: score ?? null, points })) ?? null;
  return { ...item, health: item.health && { ...item.health, contributions }, aliases: detail.aliases };
}
