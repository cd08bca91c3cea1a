import type { DatagenFormat, DatagenLocale } from './cell-format';
import type { DatagenEncoding, DatagenHeaders } from './entity-stream';
import type { DatagenEntity, EntityCounts, TenantShape } from './tenant-model';

export interface TenantOptions {
  /** Number of customers N; the other sizes follow from it unless `counts` overrides them. */
  readonly customers: number;
  /** Same seed and options -> byte-identical files. Default 1. */
  readonly seed?: number;
  /** Default `csv`. */
  readonly format?: DatagenFormat;
  /** `en` (default): canonical formats, `,`. `pt-BR`: `;`, `1.234,56`, `dd/mm/yyyy`, São Paulo local times. */
  readonly locale?: DatagenLocale;
  /** Default `utf-8`; `latin1` writes Windows-1252 bytes. */
  readonly encoding?: DatagenEncoding;
  /** `canonical` (default): headers the parser maps without a mapping; `source`: export-style headers. */
  readonly headers?: DatagenHeaders;
  /** The day the data ends (YYYY-MM-DD); all dates fall before it. Default 2026-10-31. */
  readonly asOf?: string;
  /**
   * Overrides of the default sizes: products min(10 000, max(20, N/5)), orders 3N, contacts N,
   * subscriptions N, usage_events 5N, nps_responses N/2, support_tickets N. order_items is always
   * 1-3 lines per order (about 2 x orders = 6N).
   */
  readonly counts?: Partial<Record<Exclude<DatagenEntity, 'customers' | 'order_items'>, number>>;
}

export interface ResolvedTenantOptions {
  readonly shape: TenantShape;
  readonly counts: EntityCounts;
  readonly format: DatagenFormat;
  readonly locale: DatagenLocale;
  readonly encoding: DatagenEncoding;
  readonly headers: DatagenHeaders;
}

export const DEFAULT_AS_OF = '2026-10-31';

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`datagen: ${name} must be a non-negative integer, got ${value}`);
  return value;
}

export function resolveTenantOptions(options: TenantOptions): ResolvedTenantOptions {
  const customers = nonNegativeInteger('customers', options.customers);
  if (customers === 0) throw new RangeError('datagen: customers must be at least 1');
  const asOf = options.asOf ?? DEFAULT_AS_OF;
  const asOfMs = Date.parse(`${asOf}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(asOfMs)) throw new RangeError(`datagen: asOf must be YYYY-MM-DD, got ${asOf}`);
  const counts = options.counts ?? {};
  const count = (name: keyof NonNullable<TenantOptions['counts']>, fallback: number): number =>
    nonNegativeInteger(name, counts[name] ?? fallback);
  return {
    shape: {
      seed: options.seed ?? 1,
      customers,
      // At least one product: every order line needs a SKU.
      products: Math.max(1, count('products', Math.min(10_000, Math.max(20, Math.floor(customers / 5))))),
      orders: count('orders', 3 * customers),
      asOfMs,
    },
    counts: {
      contacts: count('contacts', customers),
      subscriptions: count('subscriptions', customers),
      usage_events: count('usage_events', 5 * customers),
      nps_responses: count('nps_responses', Math.floor(customers / 2)),
      support_tickets: count('support_tickets', customers),
    },
    format: options.format ?? 'csv',
    locale: options.locale ?? 'en',
    encoding: options.encoding ?? 'utf-8',
    headers: options.headers ?? 'canonical',
  };
}
