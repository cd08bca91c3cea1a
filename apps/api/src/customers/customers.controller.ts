import { Controller, Get, Param } from '@nestjs/common';
import { NotFoundError } from '@pulse/errors';
import { ApiRoute, ZodValidationPipe } from '@pulse/service-runtime';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { z } from 'zod';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import { CUSTOMER_COLUMNS, toCustomerDto, type CustomerRow } from './customer-row';
import { customerSchema, type CustomerDto } from './customer.schemas';

const detailParams = z.strictObject({ externalId: z.string().min(1).max(255) });

@Controller('v1/customers')
export class CustomersController {
  constructor(private readonly tenants: TenantDatabasePool) {}

  @Get(':externalId')
  @ApiRoute({
    summary: 'A customer: profile, custom fields, aliases, KPIs and health',
    tags: ['customers'],
    params: detailParams,
    responses: { 200: { description: 'The customer', schema: customerSchema }, 404: { description: 'customer.not_found' } },
  })
  async get(@CurrentTenant() tenant: TenantContext, @Param(new ZodValidationPipe(detailParams, 'path')) { externalId }: z.output<typeof detailParams>): Promise<CustomerDto> {
    return this.tenants.withTenantClient(tenant, async (db) => {
      const { rows } = await db.query<CustomerRow>(
        `SELECT ${CUSTOMER_COLUMNS} FROM customers c LEFT JOIN customer_kpis k ON k.customer_id = c.id WHERE c.external_id = $1`,
        [externalId],
      );
      const row = rows[0];
      if (!row) throw new NotFoundError('customer.not_found', `No customer with external id "${externalId}".`);
      const aliases = await db.query<{ source: string; source_id: string }>(
        'SELECT source, source_id FROM customer_aliases WHERE customer_id = $1 ORDER BY source, source_id',
        [row.id],
      );
      return toCustomerDto(row, aliases.rows.map((alias) => ({ source: alias.source, sourceId: alias.source_id })));
    });
  }
}
