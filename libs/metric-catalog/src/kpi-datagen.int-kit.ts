import type { CanonicalEntity } from '@pulse/contracts';

/**
 * A deterministic synthetic tenant for the engine-agreement test: the same seed gives the same rows.
 * It has what makes KPIs disagree when an engine gets a rule wrong: excluded statuses in mixed case,
 * NULL statuses and totals, orders near local midnight, several orders on one day, reorders of a SKU,
 * subscriptions with upgrades, downgrades and churn, NPS ties, tickets closed by status only, usage, and
 * data after the as-of day.
 */
export interface GeneratedTenant {
  readonly rows: Record<CanonicalEntity, Record<string, string | number | null>[]>;
  readonly counts: Record<string, number>;
}

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_MS = 86_400_000;
const STATUSES = ['paid', 'paid', 'paid', 'Paid', 'shipped', null, 'canceled', 'Cancelled', 'refunded', 'pending'];
const TICKET_STATUSES = ['open', 'pending', 'closed', 'Resolved', 'solved', null];

export function generateTenant(options: { customers: number; skus?: number; seed?: number; start?: string; end?: string }): GeneratedTenant {
  const random = seededRandom(options.seed ?? 42);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const int = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const start = Date.parse(`${options.start ?? '2022-01-01'}T00:00:00Z`);
  const end = Date.parse(`${options.end ?? '2024-07-15'}T00:00:00Z`);
  // Whole minutes, sometimes right around midnight UTC-3 (03:00Z), where the local day differs from UTC's.
  const instant = (from = start, to = end) => {
    const ms = from + Math.floor(random() * ((to - from) / 60_000)) * 60_000;
    if (random() < 0.1) return new Date(Math.floor(ms / DAY_MS) * DAY_MS + 3 * 3_600_000 + int(-45, 45) * 60_000);
    return new Date(ms);
  };
  const iso = (date: Date) => date.toISOString();
  const money = () => (int(0, 50_000) / 100).toFixed(2);

  const skuCount = options.skus ?? 200;
  const skus = Array.from({ length: skuCount }, (_, index) => `SKU-${String(index).padStart(5, '0')}`);
  const rows: GeneratedTenant['rows'] = {
    customers: [], contacts: [], products: [], orders: [], order_items: [], subscriptions: [],
    usage_events: [], nps_responses: [], support_tickets: [],
  };
  // Listed products: all but the last 5 SKUs (sold but unlisted) plus 10 never sold.
  for (const sku of skus.slice(0, -5)) rows.products.push({ sku, name: `Product ${sku}` });
  for (let index = 0; index < 10; index += 1) rows.products.push({ sku: `UNSOLD-${index}`, name: 'Never sold' });

  let orderNumber = 0;
  for (let c = 0; c < options.customers; c += 1) {
    const customer = `C${String(c).padStart(7, '0')}`;
    // customer_since sometimes after the as-of day of the tests (2024-06-30): such customers are left out.
    const since = random() < 0.5 ? instant(start, end + 10 * DAY_MS).toISOString().slice(0, 10) : null;
    rows.customers.push({ external_id: customer, name: `Customer ${c}`, customer_since: since });
    const orderCount = random() < 0.15 ? 0 : int(1, 6);
    let favourite = pick(skus);
    for (let o = 0; o < orderCount; o += 1) {
      const order = `O${String(orderNumber++).padStart(8, '0')}`;
      // Some customers order twice on one day.
      const at = o > 0 && random() < 0.1 ? new Date(Date.parse(String(rows.orders[rows.orders.length - 1].ordered_at)) + 60_000) : instant();
      rows.orders.push({
        external_id: order,
        customer_external_id: customer,
        ordered_at: iso(at),
        status: pick(STATUSES),
        currency: 'BRL',
        total: random() < 0.03 ? null : money(),
      });
      const lines = int(1, 3);
      for (let line = 1; line <= lines; line += 1) {
        if (random() < 0.3) favourite = pick(skus);
        rows.order_items.push({
          order_external_id: order,
          line_number: line,
          sku: line === 1 ? favourite : pick(skus),
          quantity: String(int(1, 5)),
          unit_price: money(),
        });
      }
    }
    if (random() < 0.35) {
      // A subscription history: start, maybe an upgrade/downgrade (end + new one the same instant), maybe churn.
      let at = instant(start, end - 30 * DAY_MS);
      let mrr = int(10, 500);
      for (let step = 0; step < int(1, 3); step += 1) {
        const ends = random() < 0.6 ? instant(at.getTime() + DAY_MS, end) : null;
        rows.subscriptions.push({
          external_id: `S${c}-${step}`,
          customer_external_id: customer,
          plan: 'plan',
          mrr: String(mrr),
          started_at: iso(at),
          ended_at: ends ? iso(ends) : null,
          status: ends ? 'ended' : 'active',
        });
        if (!ends || random() < 0.3) break;
        at = ends;
        mrr = Math.max(5, mrr + int(-100, 150));
      }
      // An add-on running next to the main subscription.
      if (random() < 0.2) {
        rows.subscriptions.push({
          external_id: `S${c}-addon`, customer_external_id: customer, plan: 'addon', mrr: '25.5',
          started_at: iso(instant()), ended_at: null, status: 'active',
        });
      }
    }
    if (random() < 0.25) {
      const answered = instant();
      for (let n = 0; n < int(1, 3); n += 1) {
        // Sometimes a second answer at the same instant (the higher score is the customer's last).
        const at = n > 0 && random() < 0.3 ? answered : instant();
        rows.nps_responses.push({ external_id: `N${c}-${n}`, customer_external_id: customer, score: int(0, 10), responded_at: iso(at) });
      }
    }
    if (random() < 0.2) {
      for (let t = 0; t < int(1, 3); t += 1) {
        const opened = instant();
        const closed = random() < 0.5 ? new Date(opened.getTime() + int(1, 40) * DAY_MS / 4) : null;
        rows.support_tickets.push({
          external_id: `T${c}-${t}`, customer_external_id: customer, opened_at: iso(opened),
          closed_at: closed ? iso(closed) : null, status: pick(TICKET_STATUSES), priority: 'normal',
        });
      }
    }
    if (random() < 0.3) {
      for (let u = 0; u < int(1, 4); u += 1) {
        rows.usage_events.push({ external_id: `U${c}-${u}`, customer_external_id: customer, type: 'login', occurred_at: iso(instant()) });
      }
    }
  }
  const counts = Object.fromEntries(Object.entries(rows).map(([entity, entityRows]) => [entity, entityRows.length]));
  return { rows, counts };
}
