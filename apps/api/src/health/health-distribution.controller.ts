import { Controller, Get } from '@nestjs/common';
import { ApiRoute } from '@pulse/service-runtime';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { CurrentTenant } from '../auth/current-tenant.decorator';
import { healthDistributionSchema, LIST_UNSCORED_CUSTOMERS, type HealthDistributionDto } from './health-distribution.schemas';

const BUCKETS = 10;

@Controller('v1/health')
export class HealthDistributionController {
  constructor(private readonly tenants: TenantDatabasePool) {}

  @Get('distribution')
  @ApiRoute({
    summary: 'How many customers are in each health band and score decile',
    description: `Bands red, yellow and green, and unscored: customers without a score. ${LIST_UNSCORED_CUSTOMERS}`,
    tags: ['health'],
    responses: { 200: { description: 'The distribution', schema: healthDistributionSchema } },
  })
  async distribution(@CurrentTenant() tenant: TenantContext): Promise<HealthDistributionDto> {
    const [bands, deciles] = await this.tenants.withTenantClient(tenant, async (db) => [
      // Customers without a customer_kpis row count as unscored, hence counting from customers.
      (
        await db.query<{ band: string | null; count: number }>(
          `SELECT k.health_band::text AS band, count(*)::int AS count FROM customers c LEFT JOIN customer_kpis k ON k.customer_id = c.id GROUP BY 1`,
        )
      ).rows,
      (
        await db.query<{ bucket: number; count: number }>(
          `SELECT least(greatest(health_score, 0) / 10, 9)::int AS bucket, count(*)::int AS count FROM customer_kpis WHERE health_score IS NOT NULL GROUP BY 1`,
        )
      ).rows,
    ]);
    const band = (name: string | null) => bands.filter((row) => row.band === name).reduce((sum, row) => sum + row.count, 0);
    return {
      total: bands.reduce((sum, row) => sum + row.count, 0),
      bands: { red: band('red'), yellow: band('yellow'), green: band('green'), unscored: band(null) },
      deciles: Array.from({ length: BUCKETS }, (_, i) => ({
        from: i * 10,
        to: i === BUCKETS - 1 ? 100 : i * 10 + 9,
        count: deciles.find((row) => row.bucket === i)?.count ?? 0,
      })),
    };
  }
}
