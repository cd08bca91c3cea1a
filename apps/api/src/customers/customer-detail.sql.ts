import { CUSTOMER_COLUMNS, type CustomerRow } from './customer-row';

export type CustomerDetailRow = CustomerRow & { aliases: { source: string; sourceId: string }[] };

/**
 * GET /v1/customers/{externalId}: the customer, its KPIs and its aliases in one statement (one round trip
 * instead of two), as a named prepared statement so each connection parses and plans it once.
 */
export const CUSTOMER_DETAIL_QUERY = {
  name: 'customer_detail_v1',
  text: `SELECT ${CUSTOMER_COLUMNS},
    COALESCE((SELECT json_agg(json_build_object('source', a.source, 'sourceId', a.source_id) ORDER BY a.source, a.source_id)
                FROM customer_aliases a WHERE a.customer_id = c.id), '[]'::json) AS aliases
  FROM customers c LEFT JOIN customer_kpis k ON k.customer_id = c.id
  WHERE c.external_id = $1`,
} as const;
