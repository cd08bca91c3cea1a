import { Controller, Get, Param, Query } from '@nestjs/common';
import { NotFoundError } from '@pulse/errors';
import { ApiRoute, queryInteger, ZodValidationPipe } from '@pulse/service-runtime';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { z } from 'zod';
import { CurrentTenant, TenantCurrency } from '../auth/current-tenant.decorator';
import { readKeysetPage } from '../customers/keyset-page';
import { decodeCursor, MAX_CURSOR_LENGTH } from '../customers/list-cursor';
import { parseSort, sortSignature } from '../customers/list-sort';
import { buildProductListSql, PRODUCT_SORT_FIELDS, PRODUCT_TIEBREAKER, type ProductListSpec } from './product-list.sql';
import { PRODUCT_COLUMNS, PRODUCT_FROM, toProductDto, type ProductRow } from './product-row';
import { productPageSchema, productSchema, type ProductDto, type ProductPageDto } from './product.schemas';

const listQuery = z.strictObject({
  limit: queryInteger(z.number().int().min(1).max(500).default(50)),
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional(),
  sort: z
    .string()
    .max(500)
    .optional()
    .describe(`Comma list, \`-\` for descending, of: ${Object.keys(PRODUCT_SORT_FIELDS).join(', ')}. Default sku.`),
});
// As long as ingestion stores one (INDEXED_TEXT_MAX_BYTES of UTF-8: at most that many characters).
const detailParams = z.strictObject({ sku: z.string().min(1).max(2600) });

type PageRow = ProductRow & Record<`cursor_${number}`, string | null>;

@Controller('v1/products')
export class ProductsController {
  constructor(private readonly tenants: TenantDatabasePool) {}

  @Get()
  @ApiRoute({
    summary: 'Products (every SKU seen in the catalog or in order lines) with their KPIs, one page at a time',
    description: 'Keyset pagination by SKU or any KPI (`sort=-revenue`); NULLs sort last, the SKU breaks ties. Pass `nextCursor` back as `cursor` with the same sort.',
    tags: ['products'],
    query: listQuery,
    responses: { 200: { description: 'A page of products', schema: productPageSchema }, 400: { description: 'validation_failed' } },
  })
  async list(@CurrentTenant() tenant: TenantContext, @TenantCurrency() currency: string, @Query(new ZodValidationPipe(listQuery, 'query')) query: z.output<typeof listQuery>): Promise<ProductPageDto> {
    const sort = parseSort(query.sort, PRODUCT_SORT_FIELDS, 'sku');
    const signature = sortSignature(sort);
    const spec: ProductListSpec = {
      limit: query.limit,
      sort,
      signature,
      ...(query.cursor !== undefined ? { cursor: decodeCursor(query.cursor, signature, sort, PRODUCT_TIEBREAKER) } : {}),
    };
    const page = await this.tenants.withTenantClient(tenant, (db) =>
      readKeysetPage<PageRow>(db, spec, (segment, limit) => buildProductListSql(spec, segment, limit), (row) => row.sku),
    );
    return { items: page.rows.map((row) => toProductDto(row, currency)), nextCursor: page.nextCursor };
  }

  @Get(':sku')
  @ApiRoute({
    summary: 'A product by SKU, with its KPIs',
    tags: ['products'],
    params: detailParams,
    responses: { 200: { description: 'The product', schema: productSchema }, 404: { description: 'product.not_found' } },
  })
  async get(@CurrentTenant() tenant: TenantContext, @TenantCurrency() currency: string, @Param(new ZodValidationPipe(detailParams, 'path')) { sku }: z.output<typeof detailParams>): Promise<ProductDto> {
    const { rows } = await this.tenants.withTenantClient(tenant, (db) => db.query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM ${PRODUCT_FROM} WHERE s.sku = $1`, [sku]));
    const row = rows[0];
    if (!row) throw new NotFoundError('product.not_found', `No product or order line with SKU "${sku}".`);
    return toProductDto(row, currency);
  }
}
