import { cursorValueSql, keysetSegmentSql, segmentOf, SqlParams, type Segment, type SortColumn } from '../customers/keyset-pagination';
import type { KeysetPageRequest } from '../customers/keyset-page';
import { limitClause, type ListStatement } from '../customers/list-statement';
import { PRODUCT_COLUMNS, PRODUCT_FROM } from './product-row';

/**
 * How much of a product's name its sort compares: product names have no length limit (they are not
 * indexed, so ingestion takes any), but a page's cursor carries the sort values of its last row, at
 * most MAX_VALUE_BYTES (2600) of UTF-8 each. 650 characters are at most 2600 bytes; names alike in them
 * are ordered by SKU.
 */
export const PRODUCT_NAME_SORT_CHARACTERS = 650;

/** Sortable fields of GET /v1/products (API name -> SQL). Only sku is never NULL. */
export const PRODUCT_SORT_FIELDS: Readonly<Record<string, SortColumn>> = {
  sku: { sql: 's.sku', type: 'text', nullable: false },
  name: { sql: `left(p.name, ${PRODUCT_NAME_SORT_CHARACTERS})`, type: 'text', nullable: true },
  price: { sql: 'p.price', type: 'numeric', nullable: true },
  firstPurchaseAt: { sql: 'pk.first_purchase_at', type: 'timestamptz', nullable: true },
  lastPurchaseAt: { sql: 'pk.last_purchase_at', type: 'timestamptz', nullable: true },
  daysSinceLastPurchase: { sql: 'pk.days_since_last_purchase', type: 'integer', nullable: true },
  units: { sql: 'pk.units', type: 'numeric', nullable: true },
  revenue: { sql: 'pk.revenue', type: 'numeric', nullable: true },
  distinctBuyers: { sql: 'pk.distinct_buyers', type: 'integer', nullable: true },
  repeatBuyerRate: { sql: 'pk.repeat_buyer_rate', type: 'numeric', nullable: true },
  medianReorderIntervalDays: { sql: 'pk.median_reorder_interval_days', type: 'numeric', nullable: true },
};

export const PRODUCT_TIEBREAKER = { sql: 's.sku', type: 'text' } as const;

export type ProductListSpec = KeysetPageRequest;

/** One segment of a products page (see keyset-pagination), sort values selected as cursor_0..n. */
export function buildProductListSql(spec: ProductListSpec, segment: Segment, limit: number): ListStatement {
  const params = new SqlParams();
  const cursor = spec.cursor && segmentOf(spec.cursor) === segment ? spec.cursor : undefined;
  const keyset = keysetSegmentSql(spec.sort, PRODUCT_TIEBREAKER, segment, cursor, params);
  const cursorColumns = spec.sort.map((key, i) => `${cursorValueSql(key.column)} AS cursor_${i}`).join(', ');
  const text = `SELECT ${PRODUCT_COLUMNS}, ${cursorColumns}
  FROM ${PRODUCT_FROM}
  ${keyset.conditions.length > 0 ? `WHERE ${keyset.conditions.join(' AND ')}` : ''}
  ORDER BY ${keyset.orderBy}
  ${limitClause(limit)}`;
  // No filters: sort and cursor only, the same plan whatever the values.
  return { text, values: params.values, reusablePlan: true };
}
