import { CANONICAL_ENTITY_SPECS, type CanonicalEntity, type CanonicalField } from '@pulse/contracts';

/**
 * How each canonical entity's staged rows become rows of its tenant table: the target columns and the
 * typed expression over `import_rows r` for each, the file key (duplicates within the file), the
 * table's conflict target (upsert) and how a table row matches a file row (replace), and which
 * references must be resolved.
 */
export interface EntityLoadPlan {
  entity: CanonicalEntity;
  table: string;
  /** Staged fields that identify a row within the file (order lines: after line numbers are defaulted). */
  fileKey: readonly string[];
  /** usage_events / nps_responses may lack an external id: such rows are never duplicates, always appended. */
  keyOptional: boolean;
  conflictTarget: string;
  /** The table's key columns (the conflict target's): how a stored row is found from a loaded one. */
  conflictColumns: readonly string[];
  /** Replace: a table row `t` is kept when a staged row `r` matches it. */
  keepMatch: string;
  /** The field naming the customer, resolved via external id or alias into `r.customer_id`. */
  customerReference?: { field: string; required: boolean };
  /** order_items: `r.order_id` from orders.external_id, `r.product_id` from products.sku (optional). */
  orderAndProduct: boolean;
  /** Target column -> expression over `r` (import_rows). */
  columns: ReadonlyArray<{ column: string; expression: string }>;
  /** Columns compared to skip no-op updates and set on conflict (all but the conflict target). */
  updateColumns: readonly string[];
  decimalFields: readonly string[];
}

function typed(field: CanonicalField): string {
  const value = `r.${field.name}`;
  switch (field.type) {
    case 'decimal':
      return `${value}::numeric`;
    case 'integer':
      return `${value}::bigint`;
    case 'date':
      return `${value}::date`;
    case 'timestamp':
      return `${value}::timestamptz`;
    case 'json':
      return `COALESCE(${value}::jsonb, '{}'::jsonb)`;
    default:
      return value;
  }
}

function plan(entity: CanonicalEntity, table: string, options: { conflict: string[]; keepMatch: string; keyOptional?: boolean }): EntityLoadPlan {
  const spec = CANONICAL_ENTITY_SPECS[entity];
  const reference = spec.customerReference;
  const columns: Array<{ column: string; expression: string }> = [];
  for (const field of spec.fields) {
    if (field.type === 'list') continue; // aliases go to customer_aliases
    if (field.name === reference) {
      columns.push({ column: 'customer_id', expression: 'r.customer_id' });
      continue;
    }
    if (entity === 'order_items' && field.name === 'order_external_id') {
      columns.push({ column: 'order_id', expression: 'r.order_id' });
      continue;
    }
    columns.push({ column: field.name, expression: typed(field) });
  }
  if (entity === 'order_items') columns.push({ column: 'product_id', expression: 'r.product_id' });
  columns.push({ column: 'custom', expression: 'r.custom' });
  return {
    entity,
    table,
    fileKey: spec.key,
    keyOptional: options.keyOptional ?? false,
    conflictTarget: `(${options.conflict.join(', ')})`,
    conflictColumns: options.conflict,
    keepMatch: options.keepMatch,
    ...(reference ? { customerReference: { field: reference, required: spec.fields.some((f) => f.name === reference && f.required) } } : {}),
    orderAndProduct: entity === 'order_items',
    columns,
    updateColumns: columns.map((c) => c.column).filter((column) => !options.conflict.includes(column)),
    decimalFields: spec.fields.filter((field) => field.type === 'decimal').map((field) => field.name),
  };
}

/** The expression over `r` (import_rows) a target column is loaded from. */
export function loadedExpression(plan: EntityLoadPlan, column: string): string {
  return plan.columns.find((c) => c.column === column)?.expression ?? `r.${column}`;
}

const byExternalId = { conflict: ['external_id'], keepMatch: 'r.external_id = t.external_id' };

export const ENTITY_LOAD_PLANS: Readonly<Record<CanonicalEntity, EntityLoadPlan>> = {
  customers: plan('customers', 'customers', byExternalId),
  contacts: plan('contacts', 'contacts', byExternalId),
  products: plan('products', 'products', { conflict: ['sku'], keepMatch: 'r.sku = t.sku' }),
  orders: plan('orders', 'orders', byExternalId),
  order_items: plan('order_items', 'order_items', { conflict: ['order_id', 'line_number'], keepMatch: 'r.order_id = t.order_id AND r.line_number = t.line_number' }),
  subscriptions: plan('subscriptions', 'subscriptions', byExternalId),
  usage_events: plan('usage_events', 'usage_events', { ...byExternalId, keyOptional: true }),
  nps_responses: plan('nps_responses', 'nps_responses', { ...byExternalId, keyOptional: true }),
  support_tickets: plan('support_tickets', 'support_tickets', byExternalId),
};
