/**
 * The customer KPIs a scorecard measure can name (the API's field names, as in GET /v1/customers) and
 * the customer KPI column each one reads (the metric catalog's output and the customer_kpis table).
 * `custom.<field>` measures read the customer's custom field instead.
 */
export const SCORABLE_KPIS = {
  orders: 'orders_count',
  daysSinceLastOrder: 'days_since_last_order',
  revenueTotal: 'revenue_total',
  revenue30d: 'revenue_30d',
  revenue90d: 'revenue_90d',
  revenue365d: 'revenue_365d',
  averageOrderValue: 'aov',
  rfmRecency: 'rfm_recency',
  rfmFrequency: 'rfm_frequency',
  rfmMonetary: 'rfm_monetary',
  mrr: 'mrr',
  lastNps: 'last_nps',
  openTickets: 'open_tickets',
  /** true counts as 1, false as 0. */
  active30d: 'active_30d',
} as const;

export type ScorableKpi = keyof typeof SCORABLE_KPIS;

const CUSTOM_PREFIX = 'custom.';

/** What a measure's metric name refers to. */
export type MeasureSource = { kind: 'kpi'; column: string } | { kind: 'custom'; field: string } | { kind: 'unknown' };

export function measureSource(metric: string): MeasureSource {
  if (metric.startsWith(CUSTOM_PREFIX)) return { kind: 'custom', field: metric.slice(CUSTOM_PREFIX.length) };
  // Own properties only: `toString` or `constructor` would otherwise be found on Object.prototype.
  if (!Object.hasOwn(SCORABLE_KPIS, metric)) return { kind: 'unknown' };
  return { kind: 'kpi', column: SCORABLE_KPIS[metric as ScorableKpi] };
}

/**
 * A scorable number from a KPI column's text (CSV: empty = NULL) or a custom field's JSON value. Booleans
 * count as 1/0; numeric text is read as a number; anything else (empty, NULL, non-numeric text, objects)
 * is a missing value, so the measure's missing rule applies.
 */
export function toScorableNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '') return null;
  if (text === 'true') return 1;
  if (text === 'false') return 0;
  // Number('') and Number(' ') are 0 and '0x10' is 16: only plain decimal notation counts.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return null;
  return Number(text);
}
