import { Module } from '@nestjs/common';
import { TenancyModule } from '../../tenancy/tenancy.module';
import { GetMetricRunUseCase } from './get-metric-run.use-case';
import { MetricRefreshRequests } from './metric-refresh-requests';
import { MetricRunsController } from './metric-runs.controller';
import { RequestMetricsRefreshUseCase } from './request-metrics-refresh.use-case';

/** Metrics runs: requesting a recompute and following it. Exports the request path for the scorecard. */
@Module({
  imports: [TenancyModule],
  controllers: [MetricRunsController],
  providers: [MetricRefreshRequests, RequestMetricsRefreshUseCase, GetMetricRunUseCase],
  exports: [MetricRefreshRequests],
})
export class MetricRunsModule {}
