import { CANONICAL_ENTITY_SPECS, type CanonicalEntity } from '@pulse/contracts';
import type { ObjectInfo, ObjectStorage } from '@pulse/object-storage';
import type { TenantDatabaseClient } from '@pulse/tenancy';
import { warehouseColumns } from '@pulse/warehouse';
import { escapeIdentifier } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { ENTITY_LOAD_PLANS, loadedExpression } from './entity-load-plan';

/**
 * Which rows of the entity's table a staged file carries. The warehouse copies what PostgreSQL holds
 * after the import, never the file itself: an upsert leaves the columns a file does not have as they
 * were and merges `custom`, which only the stored row shows.
 * - `all`: the whole table (a replace: the warehouse empties its table and loads this);
 * - `loaded`: the rows this import inserted or updated, found by their key, plus (usage events, NPS)
 *   the rows without a key it appended;
 * - `stubs`: the parents this import created as stubs (import_stubs).
 */
export type StagedRows = 'all' | 'loaded' | 'stubs';

const STUB_KEYS: Partial<Record<CanonicalEntity, string>> = { customers: 'external_id', products: 'sku' };

/** A stored column as the staged canonical file writes it (format: `StagedLoad` in @pulse/warehouse). */
function fileValue(expression: string, type: string | undefined): string {
  switch (type) {
    case 'timestamp':
      return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    case 'date':
      return `to_char(${expression}, 'YYYY-MM-DD')`;
    case 'decimal':
    case 'integer':
    case 'json':
      return `${expression}::text`;
    default:
      return expression;
  }
}

/**
 * The warehouse columns in order, each from `valueOf(column)` (a column of the stored row, or of the loaded
 * row), references written as the parent's external id (joined as parent_customer / parent_order).
 */
function selectList(entity: CanonicalEntity, valueOf: (column: string) => string): string {
  const types = new Map(CANONICAL_ENTITY_SPECS[entity].fields.map((field) => [field.name, field.type]));
  const reference = ENTITY_LOAD_PLANS[entity].customerReference?.field;
  return warehouseColumns(entity)
    .map((column) => {
      const name = escapeIdentifier(column);
      if (column === reference) return `parent_customer.external_id AS ${name}`;
      if (entity === 'order_items' && column === 'order_external_id') return `parent_order.external_id AS ${name}`;
      return `${fileValue(valueOf(column), column === 'custom' ? 'json' : types.get(column))} AS ${name}`;
    })
    .join(', ');
}

function scopeCondition(entity: CanonicalEntity, rows: StagedRows): string {
  const plan = ENTITY_LOAD_PLANS[entity];
  if (rows === 'all') return 'true';
  if (rows === 'stubs') {
    const key = STUB_KEYS[entity];
    if (!key) throw new Error(`${entity} has no stubs`);
    return `t.${key} IN (SELECT key FROM import_stubs WHERE entity = '${entity}')`;
  }
  const target = plan.conflictColumns.map((column) => `t.${column}`).join(', ');
  const loaded = plan.conflictColumns.map((column) => loadedExpression(plan, column)).join(', ');
  return `(${target}) IN (SELECT ${loaded} FROM import_rows r WHERE r.reject_reason IS NULL)`;
}

/**
 * The SELECT of a staged canonical file: the warehouse columns, in order, of the entity's stored rows
 * (references as the parent's external id, instants as ISO-8601 UTC, decimals plain, `custom` as JSON).
 */
export function stagedFileQuery(entity: CanonicalEntity, rows: StagedRows): string {
  const joins = [
    ENTITY_LOAD_PLANS[entity].customerReference ? 'LEFT JOIN customers parent_customer ON parent_customer.id = t.customer_id' : '',
    entity === 'order_items' ? 'JOIN orders parent_order ON parent_order.id = t.order_id' : '',
  ].join(' ');
  const stored = `SELECT ${selectList(entity, (column) => `t.${escapeIdentifier(column)}`)} FROM ${entity} t ${joins} WHERE ${scopeCondition(entity, rows)}`;
  if (rows !== 'loaded' || !ENTITY_LOAD_PLANS[entity].keyOptional) return stored;
  // Rows without an external id have no key to find them by: appended as they were, they are stored exactly
  // as loaded (no merge), so their loaded form (import_rows, typed by the load plan) is what the table holds.
  return `${stored} UNION ALL ${keylessLoadedRowsQuery(entity)}`;
}

/** usage_events / nps_responses rows without an external id, from import_rows as they were inserted. */
function keylessLoadedRowsQuery(entity: CanonicalEntity): string {
  const plan = ENTITY_LOAD_PLANS[entity];
  return `SELECT ${selectList(entity, (column) => loadedExpression(plan, column))} FROM import_rows r LEFT JOIN customers parent_customer ON parent_customer.id = r.customer_id
    WHERE r.reject_reason IS NULL AND r.external_id IS NULL`;
}

/** Streams the rows (COPY ... TO STDOUT, CSV with header, NULL unquoted empty) into object storage. */
export async function writeStagedFile(db: TenantDatabaseClient, storage: ObjectStorage, entity: CanonicalEntity, rows: StagedRows, key: string): Promise<ObjectInfo> {
  const copy = db.query(copyTo(`COPY (${stagedFileQuery(entity, rows)}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
  try {
    return await storage.put(key, copy, { contentType: 'text/csv' });
  } catch (error) {
    abandonCopy(db, copy);
    throw error;
  }
}

/**
 * A COPY TO whose output failed (a full disk, an object store's error) before reading it to the end holds
 * its connection in COPY OUT: nothing reads the rest, so the ROLLBACK after it would wait for ever, with
 * the import's locks held. Its socket is closed instead: the server rolls the transaction back, the
 * ROLLBACK fails at once, and the pool discards the connection (it is not idle outside a transaction).
 */
function abandonCopy(db: TenantDatabaseClient, copy: ReturnType<typeof copyTo>): void {
  // A COPY the server ended (an error of its own, a cancel at shutdown) left the connection usable: kept,
  // so that the caller's ROLLBACK, and the foreign keys it restores after, run on it.
  if (copy.readableEnded || (db as unknown as { _getActiveQuery?: () => unknown })._getActiveQuery?.() !== copy) return;
  copy.on('error', () => undefined); // the closed socket's error reaches the COPY too: it is this one's consequence
  (copy as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
