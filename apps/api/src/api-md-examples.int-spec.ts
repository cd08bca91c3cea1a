import { DEFAULT_SCORECARD } from '@pulse/contracts';
import { createEntityStream, DEFAULT_AS_OF, type DatagenEntity } from '@pulse/datagen';
import { compileScorecard } from '@pulse/health-scoring';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERIES_METRIC_NAMES } from './metrics/series/series-metrics';

// The curl examples of docs/api.md must return something on the demo tenant of `npm start`, whose data is
// tools/datagen's for 1000 customers (tools/local/start.mjs DEFAULT_DEMO_CUSTOMERS, other options at their
// defaults; NDJSON here holds the same rows as the CSV files the demo uploads). Each example is evaluated
// on those rows with the route's semantics, as of the day the data ends: the demo computes as of a later
// day, when every customer has gone at least as long without an order (and so is no healthier).

type Row = Record<string, unknown>;

const DEMO = { customers: 1000 } as const;
const EXCLUDED_STATUSES = new Set(['canceled', 'cancelled', 'refunded']);

async function demoRows(entity: DatagenEntity): Promise<Row[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of createEntityStream(entity, { ...DEMO, format: 'ndjson' })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Row);
}

const examples = [...readFileSync(path.resolve(__dirname, '../../../docs/api.md'), 'utf8').matchAll(/\$PULSE(\/v1\/[^\s"']+)/g)].map((match) => match[1] as string);

const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

interface DemoCustomer {
  row: Row;
  orders: number;
  daysSinceLastOrder: number | null;
  band: string | null;
}

describe('docs/api.md examples on the demo tenant', () => {
  let customers: DemoCustomer[];
  let skus: Set<string>;
  let orderDays: string[];

  beforeAll(async () => {
    const rows = await demoRows('customers');
    // Orders may name a customer by an alias (as ingestion resolves them).
    const byReference = new Map<string, string>();
    for (const row of rows) for (const reference of [row['external_id'], ...((row['aliases'] as string[] | null) ?? [])]) byReference.set(reference as string, row['external_id'] as string);
    const qualifying = (await demoRows('orders')).filter((order) => !EXCLUDED_STATUSES.has(String(order['status']).toLowerCase()));
    orderDays = qualifying.map((order) => String(order['ordered_at']).slice(0, 10));
    const lastOrder = new Map<string, string>();
    const orderCount = new Map<string, number>();
    for (const order of qualifying) {
      const id = byReference.get(order['customer_external_id'] as string) as string;
      const day = String(order['ordered_at']).slice(0, 10);
      if (day > (lastOrder.get(id) ?? '')) lastOrder.set(id, day);
      orderCount.set(id, (orderCount.get(id) ?? 0) + 1);
    }
    const scorer = compileScorecard(DEFAULT_SCORECARD);
    customers = rows.map((row) => {
      const id = row['external_id'] as string;
      const last = lastOrder.get(id);
      const daysSinceLastOrder = last ? daysBetween(last, DEFAULT_AS_OF) : null;
      const orders = orderCount.get(id) ?? 0;
      // Only the band of customers without an order in 90 days is needed: their revenue90d is 0.
      const kpis: Row = { days_since_last_order: daysSinceLastOrder, orders_count: orders, revenue_90d: daysSinceLastOrder !== null && daysSinceLastOrder < 90 ? undefined : 0 };
      const band = kpis['revenue_90d'] === undefined ? null : scorer.score({ kpi: (column) => kpis[column], custom: (field) => row[field] }).band;
      return { row, orders, daysSinceLastOrder, band };
    });
    skus = new Set((await demoRows('products')).map((product) => product['sku'] as string));
  }, 60_000);

  function matches(customer: DemoCustomer, key: string, value: string): boolean {
    if (key === 'sort' || key === 'limit' || key === 'cursor') return true;
    if (key === 'segment') return customer.row['segment'] === value;
    if (key === 'healthBand') return value.split(',').includes(customer.band ?? 'unknown');
    if (key === 'daysSinceLastOrder[gte]') return customer.daysSinceLastOrder !== null && customer.daysSinceLastOrder >= Number(value);
    const custom = /^custom\.(\w+)(?:\[(gt|gte|lt|lte)\])?$/.exec(key);
    if (custom) {
      // Every column of the file that is not canonical is a custom field; canonical ones (plan, segment) never are.
      const field = custom[1] as string;
      if (['external_id', 'name', 'email', 'segment', 'plan', 'owner', 'customer_since', 'aliases'].includes(field)) return false;
      const actual = customer.row[field];
      if (!custom[2]) return String(actual) === value;
      const number = Number(actual);
      return { gt: number > Number(value), gte: number >= Number(value), lt: number < Number(value), lte: number <= Number(value) }[custom[2] as 'gt'];
    }
    throw new Error(`the test does not evaluate ${key}: teach it`);
  }

  it('finds the examples', () => {
    expect(examples.filter((example) => /^\/v1\/customers\?.*(segment|custom\.)/.test(example)).length).toBeGreaterThanOrEqual(2);
    expect(examples.some((example) => /^\/v1\/customers\/[^?<]+$/.test(example))).toBe(true);
    expect(examples.some((example) => /^\/v1\/products\/[^?<]+$/.test(example))).toBe(true);
  });

  it('every filtered customer list example matches demo customers', () => {
    const empty = examples
      .filter((example) => example.startsWith('/v1/customers?'))
      .filter((example) => {
        const query = [...new URLSearchParams(example.split('?')[1]).entries()];
        return !customers.some((customer) => query.every(([key, value]) => matches(customer, key, value)));
      });
    expect(empty).toEqual([]);
  });

  it('every customer and product example names a demo id', () => {
    const ids = new Set(customers.map((customer) => customer.row['external_id']));
    const customerIds = examples.flatMap((example) => /^\/v1\/customers\/([^?<]+)$/.exec(example)?.[1] ?? []);
    const productIds = examples.flatMap((example) => /^\/v1\/products\/([^?<]+)$/.exec(example)?.[1] ?? []);
    expect(customerIds.filter((id) => !ids.has(id))).toEqual([]);
    expect(productIds.filter((sku) => !skus.has(sku))).toEqual([]);
    // The customer shown has orders, so its KPIs and health are not null.
    expect(customerIds.map((id) => customers.find((customer) => customer.row['external_id'] === id)?.orders ?? 0).every((orders) => orders > 0)).toBe(true);
  });

  it('every metric series example names a series metric with demo orders in its range', () => {
    const series = examples.filter((example) => /^\/v1\/metrics\/[a-z_]+\?/.test(example));
    expect(series.length).toBeGreaterThan(0);
    for (const example of series) {
      const [, name, queryText] = /^\/v1\/metrics\/([a-z_]+)\?(.*)$/.exec(example) as RegExpExecArray;
      const query = new URLSearchParams(queryText);
      expect([example, SERIES_METRIC_NAMES.includes(name as string)]).toEqual([example, true]);
      const inRange = orderDays.filter((day) => day >= (query.get('from') ?? '0000') && day <= (query.get('to') ?? '9999'));
      expect([example, inRange.length > 0]).toEqual([example, true]);
    }
  });
});
