import type { WarehouseTenant } from '../warehouse';
import { WarehouseError } from '../warehouse-error';

/** The tenant's dataset: `pulse_<slug with - as _>` (dataset ids allow letters, digits and underscores). */
export function tenantDatasetId(tenant: WarehouseTenant): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(tenant.slug)) {
    throw new WarehouseError('warehouse_invalid_request', `Tenant slug ${JSON.stringify(tenant.slug)} cannot name a BigQuery dataset`);
  }
  return `pulse_${tenant.slug.replace(/-/g, '_')}`;
}

/** A BigQuery label value: lowercase letters, digits, '_' and '-', at most 63 characters. */
export function labelValue(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 63);
}

/** A fully qualified table name, quoted: `project.dataset.table`. */
export function qualifiedTable(projectId: string, datasetId: string, tableId: string): string {
  return `\`${projectId}.${datasetId}.${tableId}\``;
}
