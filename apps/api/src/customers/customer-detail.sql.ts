import { CUSTOMER_COLUMNS, type CustomerRow, type StoredHealthContribution } from './customer-row';

export type CustomerDetailRow = CustomerRow & {
  aliases: { source: string; sourceId: string }[];
  /** The contributions behind health_score; null when there is no history row for it. */
  health_contributions: StoredHealthContribution[] | null;
};

/**
 * GET /v1/customers/{externalId}: the customer, its KPIs, its aliases and the contributions behind its
 * health score in one statement (one round trip), as a named prepared statement so each connection parses
 * and plans it once.
 *
 * The contributions come from the health_scores row of the run whose results customer_kpis holds
 * (k.run_id), not from the customer's newest history row: the metrics write-back appends a run's history
 * rows and replaces customer_kpis in one transaction with the same run id, so that row has exactly the
 * score and band shown. The newest row can belong to another run: a run that leaves a customer unscored
 * writes no history row for it (the newest row then explains a score no longer shown), and computed_at
 * is when a run's transaction started, not when its results went live. The unique (run_id, customer_id)
 * index serves the lookup; a customer without KPIs (k.run_id NULL) or without a score in that run gets NULL.
 */
export const CUSTOMER_DETAIL_QUERY = {
  name: 'customer_detail_v1',
  text: `SELECT ${CUSTOMER_COLUMNS},
    COALESCE((SELECT json_agg(json_build_object('source', a.source, 'sourceId', a.source_id) ORDER BY a.source, a.source_id)
                FROM customer_aliases a WHERE a.customer_id = c.id), '[]'::json) AS aliases,
    (SELECT h.contributions FROM health_scores h WHERE h.run_id = k.run_id AND h.customer_id = k.customer_id) AS health_contributions
  FROM customers c LEFT JOIN customer_kpis k ON k.customer_id = c.id
  WHERE c.external_id = $1`,
} as const;
