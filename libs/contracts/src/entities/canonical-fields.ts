import type { CanonicalEntity } from './canonical-entity.schema';

/**
 * The canonical fields of each entity (DESIGN.md, "Canonical tenant data model"): what a file header,
 * a mapping target or a connector column may be called without landing in `custom`. Parsing, loading,
 * the warehouse tables and connectors all read this one table, so a new field is added here once.
 *
 * Types are those of the value after parsing: `text`, `decimal` (exact, kept as a string of digits),
 * `integer`, `date` (calendar day), `timestamp` (an instant; without an offset it is read in the
 * tenant's timezone), `json` (an object), `list` (`|`-separated texts, e.g. customer aliases).
 */
export type CanonicalFieldType = 'text' | 'decimal' | 'integer' | 'date' | 'timestamp' | 'json' | 'list';

export interface CanonicalField {
  readonly name: string;
  readonly type: CanonicalFieldType;
  readonly required: boolean;
  /** Bounds for numbers, checked at validation (e.g. an NPS score is 0-10). */
  readonly min?: number;
  readonly max?: number;
}

export interface CanonicalEntitySpec {
  readonly entity: CanonicalEntity;
  /** The fields that identify a row: the upsert target (order lines: order + line number). */
  readonly key: readonly string[];
  readonly fields: readonly CanonicalField[];
  /** The field that names the customer a row belongs to, resolved through external ids and aliases. */
  readonly customerReference?: string;
}

const text = (name: string, required = false): CanonicalField => ({ name, type: 'text', required });
const decimal = (name: string, required = false): CanonicalField => ({ name, type: 'decimal', required });
const timestamp = (name: string, required = false): CanonicalField => ({ name, type: 'timestamp', required });

export const CANONICAL_ENTITY_SPECS: Readonly<Record<CanonicalEntity, CanonicalEntitySpec>> = {
  customers: {
    entity: 'customers',
    key: ['external_id'],
    fields: [
      text('external_id', true),
      text('name'),
      text('email'),
      text('segment'),
      text('plan'),
      text('owner'),
      { name: 'customer_since', type: 'date', required: false },
      { name: 'aliases', type: 'list', required: false },
    ],
  },
  contacts: {
    entity: 'contacts',
    key: ['external_id'],
    customerReference: 'customer_external_id',
    fields: [text('external_id', true), text('customer_external_id'), text('name'), text('email'), text('role')],
  },
  products: {
    entity: 'products',
    key: ['sku'],
    fields: [text('sku', true), text('name'), text('category'), decimal('price')],
  },
  orders: {
    entity: 'orders',
    key: ['external_id'],
    customerReference: 'customer_external_id',
    fields: [
      text('external_id', true),
      text('customer_external_id', true),
      timestamp('ordered_at', true),
      text('status'),
      text('currency'),
      decimal('total'),
    ],
  },
  order_items: {
    entity: 'order_items',
    // line_number defaults to the row's position within its order in the file.
    key: ['order_external_id', 'line_number'],
    fields: [
      text('order_external_id', true),
      { name: 'line_number', type: 'integer', required: false, min: 1 },
      text('sku', true),
      decimal('quantity', true),
      decimal('unit_price', true),
    ],
  },
  subscriptions: {
    entity: 'subscriptions',
    key: ['external_id'],
    customerReference: 'customer_external_id',
    fields: [
      text('external_id', true),
      text('customer_external_id', true),
      text('plan'),
      decimal('mrr', true),
      timestamp('started_at', true),
      timestamp('ended_at'),
      text('status'),
    ],
  },
  usage_events: {
    entity: 'usage_events',
    key: ['external_id'],
    customerReference: 'customer_external_id',
    fields: [
      text('external_id'),
      text('customer_external_id', true),
      text('type', true),
      timestamp('occurred_at', true),
      { name: 'properties', type: 'json', required: false },
    ],
  },
  nps_responses: {
    entity: 'nps_responses',
    key: ['external_id'],
    customerReference: 'customer_external_id',
    fields: [
      text('external_id'),
      text('customer_external_id', true),
      { name: 'score', type: 'integer', required: true, min: 0, max: 10 },
      timestamp('responded_at', true),
      text('comment'),
    ],
  },
  support_tickets: {
    entity: 'support_tickets',
    key: ['external_id'],
    customerReference: 'customer_external_id',
    fields: [
      text('external_id', true),
      text('customer_external_id', true),
      timestamp('opened_at', true),
      timestamp('closed_at'),
      text('status'),
      text('priority'),
    ],
  },
};

export function canonicalFieldNames(entity: CanonicalEntity): readonly string[] {
  return CANONICAL_ENTITY_SPECS[entity].fields.map((field) => field.name);
}
