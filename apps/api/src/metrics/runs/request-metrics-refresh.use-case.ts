import { Injectable } from '@nestjs/common';
import { TenantDatabasePool, type TenantContext } from '@pulse/tenancy';
import type { IdempotentResponse } from '../../http/idempotency/idempotent-response';
import { MetricRefreshRequests } from './metric-refresh-requests';
import type { MetricRunDto } from './metric-run.schemas';
import { assertRefreshAsOfInRange } from './refresh-as-of';

/** POST /v1/metrics/refresh: a manual recompute of the tenant's KPIs and health scores. */
@Injectable()
export class RequestMetricsRefreshUseCase {
  constructor(
    private readonly tenants: TenantDatabasePool,
    private readonly refreshes: MetricRefreshRequests,
  ) {}

  /** `timezone` is the tenant's setting, where its today (the latest asOf allowed, plus a day) is. */
  async execute(tenant: TenantContext, input: { asOf?: string }, timezone: string, idempotent?: IdempotentResponse): Promise<MetricRunDto> {
    if (input.asOf !== undefined) assertRefreshAsOfInRange(input.asOf, timezone);
    const queued = await this.tenants.withTenantTransaction(tenant, async (db) => {
      const refresh = await this.refreshes.queue(db, tenant, { reason: 'manual', asOf: input.asOf });
      await idempotent?.recordIn(db, refresh.run);
      return refresh;
    });
    await this.refreshes.publish(tenant, queued);
    return queued.run;
  }
}
