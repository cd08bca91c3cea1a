import { Injectable } from '@nestjs/common';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import { MetricRefreshRequests } from './metric-refresh-requests';
import type { MetricRunDto } from './metric-run.schemas';

/** POST /v1/metrics/refresh: a manual recompute of the tenant's KPIs and health scores. */
@Injectable()
export class RequestMetricsRefreshUseCase {
  constructor(
    private readonly tenants: TenantDatabasePool,
    private readonly refreshes: MetricRefreshRequests,
  ) {}

  async execute(tenant: TenantContext, input: { asOf?: string }): Promise<MetricRunDto> {
    const queued = await this.tenants.withTenantTransaction(tenant, (db) => this.refreshes.queue(db, tenant, { reason: 'manual', asOf: input.asOf }));
    await this.refreshes.publish(tenant, queued);
    return queued.run;
  }
}
