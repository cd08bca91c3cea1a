import type { CanonicalEntity } from '@pulse/contracts';
import type { WarehouseInputValue } from '@pulse/warehouse';

/**
 * The hand-built tenant of compute-kpis.int-spec.ts. Timezone America/Sao_Paulo (UTC-3 all year since
 * 2019): local midnight is 03:00Z, so the local day of an instant is the UTC day of (instant - 3h).
 * As of 2024-03-31 (a Sunday); the as-of day ends at 2024-04-01T03:00:00Z. Churn window 30 days.
 * Local days are noted next to each instant; every expected value in the spec is worked out from these.
 */
export const FIXTURE_PARAMS = {
  asOf: '2024-03-31',
  timezone: 'America/Sao_Paulo',
  churnWindowDays: 30,
  excludedOrderStatuses: ['canceled', 'cancelled', 'refunded'],
};

type Rows = Record<string, WarehouseInputValue>[];

export const FIXTURE_ROWS: Partial<Record<CanonicalEntity, Rows>> = {
  customers: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'].map((id) => ({ external_id: id, name: `Customer ${id}` })),
  products: ['A', 'B', 'C', 'E', 'Z'].map((sku) => ({ sku, name: `Product ${sku}` })),
  orders: [
    // c1: three qualifying orders, one canceled (mixed case and padded: statuses compare trimmed and case-insensitively)
    { external_id: 'o1', customer_external_id: 'c1', ordered_at: '2023-06-15T15:00:00Z', status: 'paid', total: '100' }, // local 2023-06-15
    { external_id: 'o2', customer_external_id: 'c1', ordered_at: '2024-01-20T15:00:00Z', status: 'paid', total: '50' }, // 2024-01-20
    { external_id: 'o3', customer_external_id: 'c1', ordered_at: '2024-03-31T12:00:00Z', status: null, total: '30' }, // 2024-03-31
    { external_id: 'o4', customer_external_id: 'c1', ordered_at: '2024-03-20T12:00:00Z', status: ' Canceled ', total: '500' },
    // c2: an order at 23:30 local on the last day of February (already March in UTC) and one at 23:59 on
    // the as-of day (counts), one at 00:00 local the day after (after the as-of day: ignored)
    { external_id: 'o5', customer_external_id: 'c2', ordered_at: '2024-03-01T02:30:00Z', status: 'paid', total: '80' }, // 2024-02-29 23:30
    { external_id: 'o6', customer_external_id: 'c2', ordered_at: '2024-04-01T02:59:00Z', status: 'paid', total: '20' }, // 2024-03-31 23:59
    { external_id: 'o7', customer_external_id: 'c2', ordered_at: '2024-04-01T03:00:00Z', status: 'paid', total: '999' }, // 2024-04-01 00:00
    // c3: a refunded order (excluded; a tab after the status, as some exports write) and one qualifying order
    { external_id: 'o8', customer_external_id: 'c3', ordered_at: '2023-10-01T15:00:00Z', status: 'refunded\t', total: '200' },
    { external_id: 'o9', customer_external_id: 'c3', ordered_at: '2023-12-01T15:00:00Z', status: 'paid', total: '40' }, // 2023-12-01
    // c4: two orders on the same day, one earlier
    { external_id: 'o14', customer_external_id: 'c4', ordered_at: '2024-02-15T15:00:00Z', status: 'paid', total: '25' }, // 2024-02-15
    { external_id: 'o10', customer_external_id: 'c4', ordered_at: '2024-03-10T15:00:00Z', status: 'paid', total: '60' }, // 2024-03-10
    { external_id: 'o11', customer_external_id: 'c4', ordered_at: '2024-03-10T18:00:00Z', status: 'paid', total: '60' }, // 2024-03-10
    // c5: an order without a total (counts as an order with 0 revenue)
    { external_id: 'o12', customer_external_id: 'c5', ordered_at: '2024-02-10T15:00:00Z', status: 'paid', total: null }, // 2024-02-10
    // c7: only a cancelled order
    { external_id: 'o13', customer_external_id: 'c7', ordered_at: '2024-03-15T15:00:00Z', status: '\u00a0cancelled', total: '70' }, // a no-break space before it
  ],
  order_items: [
    { order_external_id: 'o1', line_number: 1, sku: 'A', quantity: '2', unit_price: '10' },
    { order_external_id: 'o1', line_number: 2, sku: 'B', quantity: '1', unit_price: '80' },
    { order_external_id: 'o1', line_number: 3, sku: 'E', quantity: '1', unit_price: '5' },
    { order_external_id: 'o2', line_number: 1, sku: 'A', quantity: '1', unit_price: '10' },
    { order_external_id: 'o2', line_number: 2, sku: 'C', quantity: '4', unit_price: '10' },
    { order_external_id: 'o2', line_number: 3, sku: 'E', quantity: '1', unit_price: '5' },
    { order_external_id: 'o3', line_number: 1, sku: 'A', quantity: '3', unit_price: '10' },
    { order_external_id: 'o3', line_number: 2, sku: 'E', quantity: '1', unit_price: '5' },
    { order_external_id: 'o4', line_number: 1, sku: 'A', quantity: '50', unit_price: '10' },
    { order_external_id: 'o5', line_number: 1, sku: 'A', quantity: '1', unit_price: '10' },
    { order_external_id: 'o5', line_number: 2, sku: 'B', quantity: '1', unit_price: '70' },
    { order_external_id: 'o6', line_number: 1, sku: 'A', quantity: '2', unit_price: '10' },
    { order_external_id: 'o7', line_number: 1, sku: 'A', quantity: '9', unit_price: '10' },
    { order_external_id: 'o9', line_number: 1, sku: 'B', quantity: '1', unit_price: '40' },
    { order_external_id: 'o10', line_number: 1, sku: 'C', quantity: '2', unit_price: '15' },
    { order_external_id: 'o11', line_number: 1, sku: 'C', quantity: '2', unit_price: '15' },
    { order_external_id: 'o12', line_number: 1, sku: 'D', quantity: '1', unit_price: '0' },
  ],
  subscriptions: [
    // c1 upgrades 100 -> 150 on 2024-02-15
    { external_id: 's1', customer_external_id: 'c1', mrr: '100', started_at: '2023-12-01T12:00:00Z', ended_at: '2024-02-15T12:00:00Z', status: 'ended' },
    { external_id: 's2', customer_external_id: 'c1', mrr: '150', started_at: '2024-02-15T12:00:00Z', ended_at: null, status: 'active' },
    // c2 churns on 2024-03-10 (its stale status 'active' is ignored: the dates decide)
    { external_id: 's3', customer_external_id: 'c2', mrr: '200', started_at: '2024-01-05T12:00:00Z', ended_at: '2024-03-10T12:00:00Z', status: 'active' },
    // c3 downgrades 100 -> 80 on 2024-02-20 (its add-on ends)
    { external_id: 's4', customer_external_id: 'c3', mrr: '80', started_at: '2023-12-10T12:00:00Z', ended_at: null, status: 'active' },
    { external_id: 's5', customer_external_id: 'c3', mrr: '20', started_at: '2023-12-10T12:00:00Z', ended_at: '2024-02-20T12:00:00Z', status: 'ended' },
    // c4 new on 2024-03-05
    { external_id: 's6', customer_external_id: 'c4', mrr: '50', started_at: '2024-03-05T12:00:00Z', ended_at: null, status: 'active' },
    // c5 starts after the as-of day: ignored
    { external_id: 's7', customer_external_id: 'c5', mrr: '999', started_at: '2024-04-05T12:00:00Z', ended_at: null, status: 'active' },
    // c6 from 2023-12-31 23:00 local to 2024-03-31 23:00 local: ended before the as-of day ends
    { external_id: 's8', customer_external_id: 'c6', mrr: '40', started_at: '2024-01-01T02:00:00Z', ended_at: '2024-04-01T02:00:00Z', status: 'ended' },
  ],
  nps_responses: [
    { external_id: 'n1', customer_external_id: 'c1', score: 9, responded_at: '2024-01-10T12:00:00Z' },
    { external_id: 'n2', customer_external_id: 'c1', score: 6, responded_at: '2024-03-05T12:00:00Z' },
    { external_id: 'n3', customer_external_id: 'c2', score: 10, responded_at: '2024-03-20T12:00:00Z' },
    { external_id: 'n4', customer_external_id: 'c2', score: 0, responded_at: '2024-04-02T12:00:00Z' }, // after the as-of day
    // c3 answered twice at the same instant: the higher score is the "last"
    { external_id: 'n5', customer_external_id: 'c3', score: 7, responded_at: '2024-02-01T12:00:00Z' },
    { external_id: 'n6', customer_external_id: 'c3', score: 8, responded_at: '2024-02-01T12:00:00Z' },
    { external_id: 'n7', customer_external_id: 'c4', score: 9, responded_at: '2024-03-25T12:00:00Z' },
  ],
  support_tickets: [
    { external_id: 't1', customer_external_id: 'c1', opened_at: '2024-03-01T12:00:00Z', closed_at: null, status: 'open' },
    { external_id: 't2', customer_external_id: 'c1', opened_at: '2024-02-01T12:00:00Z', closed_at: '2024-02-05T12:00:00Z', status: 'closed' },
    // closed after the as-of day: open as of it
    { external_id: 't3', customer_external_id: 'c2', opened_at: '2024-03-25T12:00:00Z', closed_at: '2024-04-03T12:00:00Z', status: 'closed' },
    // no closed_at, but the status says resolved (written with a trailing line break)
    { external_id: 't4', customer_external_id: 'c2', opened_at: '2024-01-10T12:00:00Z', closed_at: null, status: 'Resolved\r\n' },
    // opened after the as-of day
    { external_id: 't5', customer_external_id: 'c3', opened_at: '2024-04-02T12:00:00Z', closed_at: null, status: 'open' },
  ],
  usage_events: [
    { external_id: 'u1', customer_external_id: 'c6', type: 'login', occurred_at: '2024-03-20T12:00:00Z' }, // 2024-03-20
    { external_id: 'u2', customer_external_id: 'c3', type: 'login', occurred_at: '2024-03-01T12:00:00Z' }, // 2024-03-01: 31 days back
    { external_id: 'u3', customer_external_id: 'c3', type: 'login', occurred_at: '2024-04-02T12:00:00Z' }, // after the as-of day
  ],
};
