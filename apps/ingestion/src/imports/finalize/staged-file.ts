import { CANONICAL_ENTITY_SPECS, type CanonicalEntity } from '@pulse/contracts';
import type { ObjectInfo, ObjectStorage } from '@pulse/object-storage';
import type { TenantDatabaseClient } from '@pulse/tenancy';
import { warehouseColumns } from '@pulse/warehouse';
import { escapeIdentifier } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { ENTITY_LOAD_PLANS } from './entity-load-plan';

/**
 * The SELECT of the staged canonical file (INTERFACES.md section 3) over `import_rows r`: the warehouse
 * columns in order, references as canonical ids (a customer named by an alias is written with its
 * external id), order line numbers filled, instants as ISO-8601 UTC, decimals plain, `custom` as JSON.
 */
export function stagedFileQuery(entity: CanonicalEntity): string {
  const plan = ENTITY_LOAD_PLANS[entity];
  const types = new Map(CANONICAL_ENTITY_SPECS[entity].fields.map((field) => [field.name, field.type]));
  const reference = plan.customerReference?.field;
  const select = warehouseColumns(entity).map((column) => {
    const name = escapeIdentifier(column);
    if (column === reference) return `c.external_id AS ${name}`;
    if (column === 'custom') return `r.custom::text AS custom`;
    switch (types.get(column)) {
      case 'timestamp':
        return `to_char(r.${name}::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${name}`;
      case 'decimal':
        return `r.${name}::numeric::text AS ${name}`;
      case 'integer':
        return `r.${name}::bigint::text AS ${name}`;
      case 'json':
        return `r.${name}::jsonb::text AS ${name}`;
      default:
        return `r.${name}`;
    }
  });
  const join = reference ? 'LEFT JOIN customers c ON c.id = r.customer_id' : '';
  return `SELECT ${select.join(', ')} FROM import_rows r ${join} WHERE r.reject_reason IS NULL`;
}

/** Streams the loaded rows (COPY ... TO STDOUT, CSV with header, NULL unquoted empty) into object storage. */
export async function writeStagedFile(db: TenantDatabaseClient, storage: ObjectStorage, entity: CanonicalEntity, key: string): Promise<ObjectInfo> {
  const stream = db.query(copyTo(`COPY (${stagedFileQuery(entity)}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
  return storage.put(key, stream, { contentType: 'text/csv' });
}
