import { RowRandom } from './random';
import {
  COMPANY_SUFFIXES, COMPANY_WORDS, CONTACT_ROLES, FEATURES, FIRST_NAMES, LAST_NAMES, NPS_COMMENTS, ORDER_STATUSES,
  OWNERS, PLANS, PRODUCT_ADJECTIVES, PRODUCT_CATEGORIES, PRODUCT_NOUNS, REGIONS, SEGMENTS, TICKET_PRIORITIES,
  TICKET_STATUSES, USAGE_EVENT_TYPES,
} from './vocabulary';

/** The entities datagen writes, in load order (parents before children). */
export const DATAGEN_ENTITIES = [
  'customers',
  'contacts',
  'products',
  'orders',
  'order_items',
  'subscriptions',
  'usage_events',
  'nps_responses',
  'support_tickets',
] as const;
export type DatagenEntity = (typeof DATAGEN_ENTITIES)[number];

/**
 * How a value is written: `money` is integer cents, `date`/`timestamp` are epoch milliseconds, `list` a
 * string array, `json` an object; `boolean` and `integer` as named. Null is an empty cell.
 */
export type ValueKind = 'text' | 'money' | 'integer' | 'date' | 'timestamp' | 'boolean' | 'list' | 'json';
export type CellValue = string | number | boolean | readonly string[] | Record<string, unknown> | null;

export interface ColumnSpec {
  /** Canonical field name, or the custom column's name. */
  readonly name: string;
  /** Header used with `headers: 'source'` (what a tenant's export typically calls it). */
  readonly sourceName: string;
  readonly kind: ValueKind;
  /** Not a canonical field of the entity: lands in `custom` when imported. */
  readonly custom: boolean;
}

export interface TenantShape {
  readonly seed: number;
  readonly customers: number;
  readonly products: number;
  readonly orders: number;
  readonly asOfMs: number;
}

const DAY_MS = 86_400_000;
const col = (name: string, sourceName: string, kind: ValueKind): ColumnSpec => ({ name, sourceName, kind, custom: false });
/** An extra column, not a canonical field (e.g. employees, region). */
const extra = (name: string, sourceName: string, kind: ValueKind): ColumnSpec => ({ name, sourceName, kind, custom: true });
const pad = (value: number, width: number): string => String(value).padStart(width, '0');

export const customerExternalId = (index: number): string => `C${pad(index + 1, 7)}`;
export const productSku = (index: number): string => `SKU-${pad(index + 1, 5)}`;
export const orderExternalId = (index: number): string => `O${pad(index + 1, 8)}`;

export interface CustomerProfile {
  readonly externalId: string;
  readonly name: string;
  readonly segment: string;
  readonly plan: (typeof PLANS)[number][0];
  readonly owner: string;
  readonly sinceMs: number;
  /** About 15% of customers are also known by aliases (ids from an older CRM or an acquired store). */
  readonly aliases: readonly string[];
  readonly employees: number;
  readonly region: string;
  readonly annualRevenueCents: number;
  readonly onboarded: boolean;
}

/**
 * Everything about customer `index`, recomputable anywhere (orders use it to reference by alias and to
 * place their dates after the customer's start).
 */
export function customerProfile(shape: TenantShape, random: RowRandom, index: number): CustomerProfile {
  random.at(index);
  const externalId = customerExternalId(index);
  const name = `${random.pick(COMPANY_WORDS)} ${random.pick(COMPANY_SUFFIXES)}`;
  const segment = random.weighted(SEGMENTS);
  const plan = random.weighted(PLANS);
  const owner = random.pick(OWNERS);
  // Customers joined over the four years before asOf, at midnight UTC (customer_since is a date).
  const sinceMs = Math.floor(shape.asOfMs / DAY_MS - random.int(30, 4 * 365)) * DAY_MS;
  const aliasDraw = random.next();
  const aliases =
    aliasDraw < 0.1 ? [`legacy-${index + 1}`] : aliasDraw < 0.15 ? [`legacy-${index + 1}`, `shop-${pad(index + 1, 6)}`] : [];
  const employees = segment === 'SMB' ? random.int(1, 49) : segment === 'Mid-Market' ? random.int(50, 999) : random.int(1000, 50_000);
  const region = random.pick(REGIONS);
  const annualRevenueCents = employees * random.int(5_000_000, 30_000_000);
  const onboarded = random.next() < 0.8;
  return { externalId, name, segment, plan, owner, sinceMs, aliases, employees, region, annualRevenueCents, onboarded };
}

export interface OrderLine {
  readonly productIndex: number;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

export function productPriceCents(random: RowRandom, index: number): number {
  random.at(index);
  // Prices from R$ 5 to R$ 2.500, skewed towards cheap items.
  return 500 + Math.floor(random.next() ** 3 * 249_500);
}

/** Lines of order `index`: 1-3 (two on average, so order_items ~ 2 x orders). */
export function orderLines(shape: TenantShape, lineRandom: RowRandom, priceRandom: RowRandom, index: number): OrderLine[] {
  lineRandom.at(index);
  const count = lineRandom.int(1, 3);
  const lines: OrderLine[] = [];
  for (let line = 0; line < count; line += 1) {
    const productIndex = lineRandom.int(0, shape.products - 1);
    const quantity = lineRandom.next() < 0.7 ? 1 : lineRandom.int(2, 5);
    // One line in ten has a 10% discount, so unit prices are not always the catalogue price.
    const discounted = lineRandom.next() < 0.1;
    const listPrice = productPriceCents(priceRandom, productIndex);
    lines.push({ productIndex, quantity, unitPriceCents: discounted ? Math.round(listPrice * 0.9) : listPrice });
  }
  return lines;
}

/** A row generator: the columns, and a function filling `row` for index i (reused array: no per-row garbage). */
export interface EntityModel {
  readonly entity: DatagenEntity;
  readonly columns: readonly ColumnSpec[];
  /** Number of rows; order_items is known only after walking the orders, see `rowCount`. */
  readonly rows: number;
  /** Calls `emit` once per row of unit `index` (one row, or one per order line for order_items). */
  readonly produce: (index: number, emit: (row: readonly CellValue[]) => void) => void;
  /** Units to iterate (rows, or orders for order_items). */
  readonly units: number;
}

export interface EntityCounts {
  readonly contacts: number;
  readonly subscriptions: number;
  readonly usage_events: number;
  readonly nps_responses: number;
  readonly support_tickets: number;
}

export function entityModel(entity: DatagenEntity, shape: TenantShape, counts: EntityCounts): EntityModel {
  const { seed } = shape;
  const customerRandom = new RowRandom(seed, 'customers');
  const random = new RowRandom(seed, entity);
  const priceRandom = new RowRandom(seed, 'products.price');
  const lineRandom = new RowRandom(seed, 'order_items');
  const row: CellValue[] = [];
  const single = (columns: ColumnSpec[], rows: number, fill: (index: number) => void): EntityModel => ({
    entity,
    columns,
    rows,
    units: rows,
    produce: (index, emit) => {
      fill(index);
      emit(row);
    },
  });
  const set = (...values: CellValue[]): void => {
    for (let i = 0; i < values.length; i += 1) row[i] = values[i] as CellValue;
    row.length = values.length;
  };
  /** A customer reference: usually the external id, sometimes (30% of aliased customers) an alias. */
  const customerReference = (customerIndex: number, draw: number): { ref: string; profile: CustomerProfile } => {
    const profile = customerProfile(shape, customerRandom, customerIndex);
    const alias = profile.aliases[0];
    return { ref: alias !== undefined && draw < 0.3 ? alias : profile.externalId, profile };
  };
  /** An instant between `fromMs` and asOf, at whole seconds. */
  const instantAfter = (fromMs: number, draw: number): number =>
    Math.floor((fromMs + draw * (shape.asOfMs - fromMs)) / 1000) * 1000;

  switch (entity) {
    case 'customers':
      return single(
        [
          col('external_id', 'Customer ID', 'text'),
          col('name', 'Company Name', 'text'),
          col('email', 'E-mail', 'text'),
          col('segment', 'Segment', 'text'),
          col('plan', 'Plan', 'text'),
          col('owner', 'Account Owner', 'text'),
          col('customer_since', 'Customer Since', 'date'),
          col('aliases', 'Other IDs', 'list'),
          extra('employees', 'Employees', 'integer'),
          extra('region', 'Region', 'text'),
          extra('plan_tier', 'Plan Tier', 'text'),
          extra('annual_revenue', 'Annual Revenue', 'money'),
          extra('onboarded', 'Onboarded', 'boolean'),
        ],
        shape.customers,
        (index) => {
          const c = customerProfile(shape, customerRandom, index);
          const email = `contato@${c.externalId.toLowerCase()}.example.com`;
          set(c.externalId, c.name, email, c.segment, c.plan.name, c.owner, c.sinceMs, c.aliases, c.employees, c.region,
            c.plan.tier, c.annualRevenueCents, c.onboarded);
        },
      );
    case 'contacts':
      return single(
        [
          col('external_id', 'Contact ID', 'text'),
          col('customer_external_id', 'Customer ID', 'text'),
          col('name', 'Full Name', 'text'),
          col('email', 'E-mail', 'text'),
          col('role', 'Role', 'text'),
        ],
        counts.contacts,
        (index) => {
          random.at(index);
          const { ref } = customerReference(index % shape.customers, random.next());
          const name = `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`;
          set(`P${pad(index + 1, 8)}`, ref, name, `contact${index + 1}@example.com`, random.pick(CONTACT_ROLES));
        },
      );
    case 'products':
      return single(
        [
          col('sku', 'SKU', 'text'),
          col('name', 'Product Name', 'text'),
          col('category', 'Category', 'text'),
          col('price', 'List Price', 'money'),
          extra('weight_grams', 'Weight (g)', 'integer'),
        ],
        shape.products,
        (index) => {
          random.at(index);
          const name = `${random.pick(PRODUCT_NOUNS)} ${random.pick(PRODUCT_ADJECTIVES)} ${index + 1}`;
          const category = random.pick(PRODUCT_CATEGORIES);
          const weight = random.int(20, 5000);
          set(productSku(index), name, category, productPriceCents(priceRandom, index), weight);
        },
      );
    case 'orders':
      return single(
        [
          col('external_id', 'Order Number', 'text'),
          col('customer_external_id', 'Customer ID', 'text'),
          col('ordered_at', 'Order Date', 'timestamp'),
          col('status', 'Status', 'text'),
          col('currency', 'Currency', 'text'),
          col('total', 'Order Total', 'money'),
          extra('channel', 'Sales Channel', 'text'),
        ],
        shape.orders,
        (index) => {
          random.at(index);
          const { ref, profile } = customerReference(random.int(0, shape.customers - 1), random.next());
          const orderedAt = instantAfter(profile.sinceMs, random.next());
          const status = random.weighted(ORDER_STATUSES);
          const channel = random.next() < 0.7 ? 'web' : random.next() < 0.5 ? 'app' : 'marketplace';
          // Drawn after the order's own values: orderLines repositions its own generator, not this one.
          let total = 0;
          for (const line of orderLines(shape, lineRandom, priceRandom, index)) total += line.quantity * line.unitPriceCents;
          set(orderExternalId(index), ref, orderedAt, status, 'BRL', total, channel);
        },
      );
    case 'order_items': {
      const columns = [
        col('order_external_id', 'Order Number', 'text'),
        col('line_number', 'Line', 'integer'),
        col('sku', 'SKU', 'text'),
        col('quantity', 'Qty', 'money'),
        col('unit_price', 'Unit Price', 'money'),
      ];
      let rows = 0;
      for (let index = 0; index < shape.orders; index += 1) rows += lineRandom.at(index).int(1, 3);
      return {
        entity,
        columns,
        rows,
        units: shape.orders,
        produce: (index, emit) => {
          const lines = orderLines(shape, lineRandom, priceRandom, index);
          for (let line = 0; line < lines.length; line += 1) {
            const l = lines[line] as OrderLine;
            // Quantities are decimals in the canonical model (kg, hours); written in cents-scale like money.
            set(orderExternalId(index), line + 1, productSku(l.productIndex), l.quantity * 100, l.unitPriceCents);
            emit(row);
          }
        },
      };
    }
    case 'subscriptions':
      return single(
        [
          col('external_id', 'Subscription ID', 'text'),
          col('customer_external_id', 'Customer ID', 'text'),
          col('plan', 'Plan', 'text'),
          col('mrr', 'MRR', 'money'),
          col('started_at', 'Start Date', 'timestamp'),
          col('ended_at', 'End Date', 'timestamp'),
          col('status', 'Status', 'text'),
          extra('seats', 'Seats', 'integer'),
        ],
        counts.subscriptions,
        (index) => {
          random.at(index);
          const { ref, profile } = customerReference(index % shape.customers, random.next());
          const startedAt = profile.sinceMs + random.int(0, 86_399) * 1000;
          const ended = random.next() < 0.15;
          const endedAt = ended ? instantAfter(startedAt, random.next()) : null;
          const seats = random.int(1, 200);
          set(`S${pad(index + 1, 8)}`, ref, profile.plan.name, profile.plan.mrrCents, startedAt, endedAt,
            ended ? 'canceled' : 'active', seats);
        },
      );
    case 'usage_events':
      return single(
        [
          col('external_id', 'Event ID', 'text'),
          col('customer_external_id', 'Customer ID', 'text'),
          col('type', 'Event', 'text'),
          col('occurred_at', 'Timestamp', 'timestamp'),
          col('properties', 'Properties', 'json'),
        ],
        counts.usage_events,
        (index) => {
          random.at(index);
          const { ref } = customerReference(random.int(0, shape.customers - 1), random.next());
          // Most activity in the last 90 days, so "active in the last 30 days" is neither all nor none.
          const occurredAt = Math.floor((shape.asOfMs - random.next() * 90 * DAY_MS) / 1000) * 1000;
          const properties = { feature: random.pick(FEATURES), duration_ms: random.int(5, 60_000) };
          set(`E${pad(index + 1, 9)}`, ref, random.pick(USAGE_EVENT_TYPES), occurredAt, properties);
        },
      );
    case 'nps_responses':
      return single(
        [
          col('external_id', 'Response ID', 'text'),
          col('customer_external_id', 'Customer ID', 'text'),
          col('score', 'Score', 'integer'),
          col('responded_at', 'Answered At', 'timestamp'),
          col('comment', 'Comment', 'text'),
          extra('channel', 'Survey Channel', 'text'),
        ],
        counts.nps_responses,
        (index) => {
          random.at(index);
          const { ref, profile } = customerReference(random.int(0, shape.customers - 1), random.next());
          // Skewed towards promoters, as real NPS distributions are.
          const score = Math.min(10, Math.floor(11 * Math.sqrt(random.next())));
          set(`N${pad(index + 1, 8)}`, ref, score, instantAfter(profile.sinceMs, random.next()), random.pick(NPS_COMMENTS),
            random.next() < 0.5 ? 'email' : 'in-app');
        },
      );
    case 'support_tickets':
      return single(
        [
          col('external_id', 'Ticket ID', 'text'),
          col('customer_external_id', 'Customer ID', 'text'),
          col('opened_at', 'Created', 'timestamp'),
          col('closed_at', 'Closed', 'timestamp'),
          col('status', 'Status', 'text'),
          col('priority', 'Priority', 'text'),
          extra('first_response_minutes', 'First Response (min)', 'integer'),
        ],
        counts.support_tickets,
        (index) => {
          random.at(index);
          const { ref, profile } = customerReference(random.int(0, shape.customers - 1), random.next());
          const openedAt = instantAfter(profile.sinceMs, random.next());
          const status = random.weighted(TICKET_STATUSES);
          const closed = status === 'solved' || status === 'closed';
          const closedAt = closed ? Math.min(shape.asOfMs, openedAt + random.int(600, 14 * 86_400) * 1000) : null;
          set(`T${pad(index + 1, 8)}`, ref, openedAt, closedAt, status, random.weighted(TICKET_PRIORITIES), random.int(1, 2880));
        },
      );
  }
}
