import type { TenantDatabaseClient } from '@pulse/tenancy';
import { toCustomerListItemDto, type CustomerRow } from './customer-row';
import type { CustomerListSpec } from './customer-list.query';
import { buildCustomerListSql } from './customer-list.sql';
import type { CustomerListItemDto, CustomerPageDto } from './customer.schemas';
import { readKeysetPage } from './keyset-page';

type ListRow = CustomerRow & Record<`cursor_${number}`, string | null>;

/** One page of GET /v1/customers. */
export async function listCustomers(db: TenantDatabaseClient, spec: CustomerListSpec, currency: string): Promise<CustomerPageDto> {
  const { rows, nextCursor } = await readKeysetPage<ListRow>(
    db,
    spec,
    (segment, limit) => buildCustomerListSql(spec, segment, limit),
    (row) => row.id,
  );
  return {
    items: rows.map((row): CustomerListItemDto => toCustomerListItemDto(row, currency)),
    nextCursor,
  };
}
