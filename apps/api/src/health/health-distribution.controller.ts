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
    // One statement, so one snapshot: bands and deciles always count the same rows, even while a metrics
    // write-back commits new scores (two statements could straddle its commit and disagree). Customers
    // without a customer_kpis row count as unscored, hence counting from customers.
    const { rows } = await this.tenants.query<{ band: string | null; bucket: number | null; count: number }>(
      tenant,
      `SELECT k.health_band::text AS band,
              -- greatest() skips NULLs: an unscored customer must not land in the first decile.
              CASE WHEN k.health_score IS NOT NULL THEN least(greatest(k.health_score, 0) / 10, 9) END::int AS bucket,
              count(*)::int AS count
         FROM customers c LEFT JOIN customer_kpis k ON k.customer_id = c.id
        GROUP BY 1, 2`,
    );
    const sum = (matches: (row: (typeof rows)[number]) => boolean) => rows.filter(matches).reduce((total, row) => total + row.count, 0);
    const band = (name: string | null) => sum((row) => row.band === name);
    return {
      total: sum(() => true),
      bands: { red: band('red'), yellow: band('yellow'), green: band('green'), unscored: band(null) },
      deciles: Array.from({ length: BUCKETS }, (_, i) => ({
        from: i * 10,
        to: i === BUCKETS - 1 ? 100 : i * 10 + 9,
        count: sum((row) => row.bucket === i),
      })),
    };
  }
}
