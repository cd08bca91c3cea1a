import { Module } from '@nestjs/common';
import { MetricsScheduler } from '../scheduling/metrics-scheduler';
import { TenancyModule } from '../tenancy/tenancy.module';
import { WarehouseModule } from '../warehouse/warehouse.module';
import { RefreshRequestsHandler } from './refresh-requests.handler';
import { RunInterruptions } from './run-interruptions';
import { RunTenantMetricsUseCase } from './run-tenant-metrics.use-case';

/** Metrics runs: requests in (events), scheduling, computation and write-back. */
@Module({
  imports: [TenancyModule, WarehouseModule],
  controllers: [RefreshRequestsHandler],
  providers: [RunTenantMetricsUseCase, RunInterruptions, MetricsScheduler],
  exports: [MetricsScheduler],
})
export class MetricRunsModule {}
