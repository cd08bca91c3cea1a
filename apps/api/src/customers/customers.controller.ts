import { Controller, Get, Param, Query } from '@nestjs/common';
import { CUSTOM_FIELD_NAME_MAX_LENGTH } from '@pulse/contracts';
import { NotFoundError } from '@pulse/errors';
import { ApiRoute, ZodValidationPipe } from '@pulse/service-runtime';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { z } from 'zod';
import { CurrentTenant, TenantCurrency, TenantTimezone } from '../auth/current-tenant.decorator';
import { CUSTOMER_DETAIL_QUERY, type CustomerDetailRow } from './customer-detail.sql';
import { toCustomerDto } from './customer-row';
import { queryPrepared } from './prepared-query';
import { CUSTOM_FIELD_FILTER_PATTERNS, customerListQuerySchema, parseCustomerListQuery } from './customer-list.query';
import { customerPageSchema, customerSchema, type CustomerDto, type CustomerPageDto } from './customer.schemas';
import { listCustomers } from './list-customers';

// As long as ingestion stores one (INDEXED_TEXT_MAX_BYTES of UTF-8: at most that many characters).
const detailParams = z.strictObject({ externalId: z.string().min(1).max(2600) });

@Controller('v1/customers')
export class CustomersController {
  constructor(private readonly tenants: TenantDatabasePool) {}

  @Get()
  @ApiRoute({
    summary: 'Customers with KPIs and health, filtered, sorted, one page at a time',
    description: [
      'Keyset pagination: pass `nextCursor` back as `cursor` (with the same `sort`); pages stay stable while rows are added.',
      'The customer id breaks ties; NULL values sort last in both directions.',
      'Range filters on KPIs: `<kpi>[eq|gt|gte|lt|lte]=value`, e.g. `daysSinceLastOrder[gte]=90`.',
      'On `firstOrderAt`/`lastOrderAt` the value is an ISO-8601 instant with `Z` or an offset (compared exactly) or a date alone,',
      "which is the start of that day in the tenant's timezone (setting `timezone`, where the KPIs cut days; default UTC):",
      'for a New York tenant `lastOrderAt[gte]=2026-06-18` means from 2026-06-18T00:00-04:00, and `[gte]=D&[lt]=D+1` is the local day D.',
      'A date with a tenant timezone that is not an IANA name is 422 `tenant.invalid_timezone`.',
      'Custom fields: `custom.<name>=value` (equality; matches the JSON string, and if the value is a number every equal JSON number and the string of its shortest form, if it is `true` or `false` the JSON boolean) and',
      '`custom.<name>[gt|gte|lt|lte]=<number>` (numeric; only rows whose value is a number or numeric string match).',
      `<name> is 1-${CUSTOM_FIELD_NAME_MAX_LENGTH} letters, digits or _, not starting with _ (as ingestion names custom fields). Unknown parameters and sort fields are a 400.`,
    ].join('\n'),
    tags: ['customers'],
    query: customerListQuerySchema,
    queryPatterns: CUSTOM_FIELD_FILTER_PATTERNS,
    responses: {
      200: { description: 'A page of customers', schema: customerPageSchema },
      400: { description: 'validation_failed (field-level errors)' },
      422: { description: "tenant.invalid_timezone (a date filter, and the tenant's timezone setting is not an IANA name)" },
    },
  })
  async list(
    @CurrentTenant() tenant: TenantContext,
    @TenantCurrency() currency: string,
    @TenantTimezone() timezone: string,
    @Query() query: Record<string, unknown>,
  ): Promise<CustomerPageDto> {
    const spec = parseCustomerListQuery(query ?? {}, timezone);
    return this.tenants.withTenantClient(tenant, (db) => listCustomers(db, spec, currency));
  }

  @Get(':externalId')
  @ApiRoute({
    summary: 'A customer: profile, custom fields, aliases, KPIs and health with per-measure contributions',
    tags: ['customers'],
    params: detailParams,
    responses: { 200: { description: 'The customer', schema: customerSchema }, 404: { description: 'customer.not_found' } },
  })
  async get(@CurrentTenant() tenant: TenantContext, @TenantCurrency() currency: string, @Param(new ZodValidationPipe(detailParams, 'path')) { externalId }: z.output<typeof detailParams>): Promise<CustomerDto> {
    return this.tenants.withTenantClient(tenant, async (db) => {
      const { rows } = await queryPrepared<CustomerDetailRow>(db, { ...CUSTOMER_DETAIL_QUERY, values: [externalId] });
      const row = rows[0];
      if (!row) throw new NotFoundError('customer.not_found', `No customer with external id "${externalId}".`);
      return toCustomerDto(row, currency, { aliases: row.aliases, contributions: row.health_contributions });
    });
  }
}
