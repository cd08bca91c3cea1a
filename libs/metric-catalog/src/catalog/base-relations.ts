import type { BaseRelation, CompileContext } from '../metric-definition';

/**
 * Orders that count: placed before the end of the as-of day and not in an excluded status. Revenue of an
 * order is its `total` (no currency conversion); an order without a total counts as an order with 0
 * revenue.
 */
export const qualifyingOrders: BaseRelation = {
  name: 'qualifying_orders',
  uses: [],
  relation: (ctx) => `SELECT external_id AS order_id, customer_external_id AS customer_id, ordered_at, COALESCE(total, 0) AS total
  FROM orders
  WHERE ordered_at < ${ctx.asOfEnd} AND ${ctx.qualifyingStatus('status')}`,
};

/**
 * Qualifying orders with `order_day`, their calendar day in the tenant's timezone. A relation of its own:
 * the time zone conversion per order is costly, and customer KPIs do not need it (DuckDB may materialize
 * a CTE with all its columns).
 */
export const datedOrders: BaseRelation = {
  name: 'dated_orders',
  uses: ['qualifying_orders'],
  relation: (ctx) => `SELECT order_id, customer_id, ordered_at, total, ${ctx.dialect.localDate('ordered_at', ctx.params.timezone)} AS order_day
  FROM qualifying_orders`,
};

/**
 * SKUs whose KPIs may have changed since an earlier run with the same params: listed or re-listed
 * products, order lines loaded since, and lines of orders loaded since (a status change moves a line in
 * or out of the qualifying orders). Only in incremental product runs.
 */
export const touchedSkus: BaseRelation = {
  name: 'touched_skus',
  uses: [],
  relation: (ctx) => {
    const since = ctx.productsTouchedSince ?? 'NULL';
    return `SELECT DISTINCT sku FROM (
    SELECT sku FROM products WHERE loaded_at > ${since}
    UNION ALL SELECT sku FROM order_items WHERE loaded_at > ${since}
    UNION ALL SELECT i.sku FROM order_items AS i JOIN orders AS o ON o.external_id = i.order_external_id WHERE o.loaded_at > ${since}
  ) AS touched`;
  },
};

const touchedFilter = (ctx: CompileContext, column: string) =>
  ctx.productsTouchedSince === undefined ? '' : ` AND ${column} IN (SELECT sku FROM touched_skus)`;

/**
 * Lines of every order placed up to the as-of day, in any status, with the order's buyer, time, local day
 * and whether the order qualifies. The one join of order_items with orders of a product run: the product
 * lines and the known SKUs both read it (a join of the two largest tables costs more than the rest).
 */
export const datedLines: BaseRelation = {
  name: 'dated_lines',
  uses: ['touched_skus'],
  relation: (ctx) => `SELECT i.sku, o.customer_external_id AS customer_id, o.external_id AS order_id, o.ordered_at,
    ${ctx.dialect.localDate('o.ordered_at', ctx.params.timezone)} AS order_day, i.quantity, i.unit_price,
    ${ctx.qualifyingStatus('o.status')} AS qualifies
  FROM order_items AS i
  JOIN orders AS o ON o.external_id = i.order_external_id
  WHERE o.ordered_at < ${ctx.asOfEnd}${touchedFilter(ctx, 'i.sku')}`,
};

/** Order lines of qualifying orders, with the order's buyer and time. Line revenue = quantity * unit_price. */
export const purchasedItems: BaseRelation = {
  name: 'purchased_items',
  uses: ['dated_lines'],
  relation: () => `SELECT sku, customer_id, order_id, ordered_at, order_day, quantity, unit_price
  FROM dated_lines WHERE qualifies`,
};

/**
 * The SKUs with a product_kpis row: every listed product, and every SKU on a line of an order placed up
 * to the as-of day in any status (so a SKU whose only orders were canceled still shows, with zeros).
 */
export const knownSkus: BaseRelation = {
  name: 'known_skus',
  uses: ['dated_lines', 'touched_skus'],
  relation: (ctx) => `SELECT sku FROM products WHERE TRUE${touchedFilter(ctx, 'sku')}
    UNION DISTINCT
    SELECT sku FROM dated_lines`,
};

export const BASE_RELATIONS: readonly BaseRelation[] = [qualifyingOrders, datedOrders, touchedSkus, datedLines, purchasedItems, knownSkus];
