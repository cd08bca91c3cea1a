import { CANONICAL_ENTITY_SPECS, type CanonicalEntity } from '@pulse/contracts';

/**
 * The most UTF-8 bytes of text one btree index entry of the tenant schema takes from a file, for every
 * index together (a field alone, or the fields that share an index). PostgreSQL refuses an entry over
 * 2704 bytes (8 KiB pages), and with it the whole load. 2704 less the entry's header and null bitmap (16),
 * each text's length word and alignment (up to 7 each), the row id after them (8, aligned: up to 7 more)
 * leaves at least 2659 bytes for customers' segment + name, the tightest index (2672-2680 measured);
 * 2600 rounds that down to a number a person can remember. PostgreSQL may compress a long value into an
 * index entry, but whether it can depends on the text, so the limit does not count on it.
 */
export const INDEXED_TEXT_MAX_BYTES = 2600;

/**
 * The canonical text fields the load writes into a btree index of the tenant schema
 * (libs/tenancy/prisma/migrations), one entry per index: its text key columns as canonical fields.
 * A customer reference becomes a stub customer's `external_id` (`create_stub`) and can only ever name a
 * customer whose `external_id` or alias fits; an order line's `order_external_id` names an order by its
 * `external_id`; customers' `aliases` go, one by one, into `customer_aliases.source_id`. `custom` has only
 * a GIN index of hashes (jsonb_path_ops), which no length reaches; other text is not indexed.
 * apps/ingestion's loader spec checks this table against the schema's catalog.
 */
const INDEXED_TEXT_FIELDS: Readonly<Record<CanonicalEntity, ReadonlyArray<readonly string[]>>> = {
  customers: [['external_id'], ['name'], ['segment', 'name'], ['aliases']],
  contacts: [['external_id'], ['customer_external_id']],
  products: [['sku'], ['category']],
  orders: [['external_id'], ['customer_external_id']],
  order_items: [['order_external_id'], ['sku']],
  subscriptions: [['external_id'], ['customer_external_id']],
  usage_events: [['external_id'], ['customer_external_id']],
  nps_responses: [['external_id'], ['customer_external_id']],
  support_tickets: [['external_id'], ['customer_external_id']],
};

export function indexedTextFields(entity: CanonicalEntity): ReadonlyArray<readonly string[]> {
  return INDEXED_TEXT_FIELDS[entity];
}

/** One index's text fields, as a row's check runs them. */
export interface IndexedTextCheck {
  readonly fields: readonly string[];
  /** A list field (aliases): each `|`-separated part is its own index entry. */
  readonly list: boolean;
}

/** What broke a check: the fields, the bytes they came to, and the field to name (the longest). */
export interface TooLongText {
  readonly fields: readonly string[];
  readonly bytes: number;
  readonly field: string;
  readonly list: boolean;
}

/** The checks of an entity's indexed text, for the fields `fed` (by a column, a key or a constant). */
export function indexedTextChecks(entity: CanonicalEntity, fed: (field: string) => boolean): IndexedTextCheck[] {
  const types = new Map(CANONICAL_ENTITY_SPECS[entity].fields.map((field) => [field.name, field.type]));
  return INDEXED_TEXT_FIELDS[entity]
    .filter((fields) => fields.some(fed))
    .map((fields) => ({ fields, list: fields.length === 1 && types.get(fields[0] as string) === 'list' }));
}

// A UTF-16 code unit is at most 3 bytes of UTF-8: text of at most this many units never needs counting.
const SURELY_SHORT = Math.floor(INDEXED_TEXT_MAX_BYTES / 3);

/** The first check a row's values break, or undefined (the usual case costs a length per field). */
export function tooLongForIndex(values: Readonly<Record<string, string | null | undefined>>, checks: readonly IndexedTextCheck[]): TooLongText | undefined {
  for (let c = 0; c < checks.length; c += 1) {
    const check = checks[c] as IndexedTextCheck;
    let units = 0;
    for (let f = 0; f < check.fields.length; f += 1) units += values[check.fields[f] as string]?.length ?? 0;
    if (units <= SURELY_SHORT) continue;
    if (check.list) {
      const field = check.fields[0] as string;
      for (const part of (values[field] as string).split('|')) {
        const bytes = Buffer.byteLength(part, 'utf8');
        if (bytes > INDEXED_TEXT_MAX_BYTES) return { fields: check.fields, bytes, field, list: true };
      }
      continue;
    }
    let bytes = 0;
    let field = check.fields[0] as string;
    let longest = -1;
    for (const name of check.fields) {
      const value = values[name];
      const length = value ? Buffer.byteLength(value, 'utf8') : 0;
      bytes += length;
      if (length > longest) {
        longest = length;
        field = name;
      }
    }
    if (bytes > INDEXED_TEXT_MAX_BYTES) return { fields: check.fields, bytes, field, list: false };
  }
  return undefined;
}

/** The reject message; `columnOf` names a field as the file does (a CSV header: `Column`, an NDJSON key: `Field`). */
export function tooLongMessage(tooLong: TooLongText, columnOf: (field: string) => string, noun: 'Column' | 'Field'): string {
  if (tooLong.fields.length > 1) {
    const columns = tooLong.fields.map((field) => `"${columnOf(field)}"`).join(' and ');
    return `${noun}s ${columns}: ${tooLong.bytes} bytes together (UTF-8); ${tooLong.fields.join(' and ')} share an index, which holds at most ${INDEXED_TEXT_MAX_BYTES} bytes of them.`;
  }
  const what = tooLong.list ? 'an alias is' : 'the value is';
  return `${noun} "${columnOf(tooLong.field)}": ${what} ${tooLong.bytes} bytes long (UTF-8); an indexed text field (${tooLong.field}) holds at most ${INDEXED_TEXT_MAX_BYTES} bytes.`;
}
