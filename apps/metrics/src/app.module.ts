import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@pulse/messaging';
import { PostgresModule } from '@pulse/service-runtime';
import { METRICS_CONFIG, type MetricsConfig } from './config/metrics.config';
import { MetricRunsModule } from './runs/metric-runs.module';

/** Composition root of the metrics service (KPI computation in the warehouse and write-back to tenant databases). */
@Module({})
export class AppModule {
  static register(config: MetricsConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        MessagingModule.forRoot({ settings: config.messaging }),
        // The control plane: live tenants, their settings and database locations.
        PostgresModule.forRoot({ url: config.database.url, applicationName: 'metrics', maxConnections: 2 }),
        MetricRunsModule,
      ],
      providers: [{ provide: METRICS_CONFIG, useValue: config }],
      exports: [METRICS_CONFIG, PostgresModule],
    };
  }
}
