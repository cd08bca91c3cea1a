import { Module } from '@nestjs/common';
import { metricsComputedV1 } from '@pulse/contracts';
import { POSTGRES_POOL } from '@pulse/service-runtime';
import { TenantDatabasesModule } from '@pulse/tenancy-nest';
import type { Pool } from 'pg';
import { METRICS_CONFIG, type MetricsConfig } from '../config/metrics.config';
import { TenantDirectory } from './tenant-directory';

/**
 * Tenants (control plane), the pool that is the only way to their databases, and the sweeper that
 * publishes metrics.computed.v1 events a run left in its tenant's outbox (docs/messaging.md).
 */
@Module({
  imports: [
    TenantDatabasesModule.forRootAsync({
      inject: [METRICS_CONFIG],
      useFactory: (config: MetricsConfig) => ({
        applicationName: 'metrics',
        secretsKey: config.tenancy.secretsKey,
        perTenantConnections: config.tenancy.perTenantConnections,
        maxConnections: config.tenancy.maxConnections,
        outbox: { topics: [metricsComputedV1.topic], sweepIntervalMs: config.messaging.outboxSweepIntervalMs },
      }),
    }),
  ],
  providers: [{ provide: TenantDirectory, inject: [POSTGRES_POOL], useFactory: (controlPlane: Pool) => new TenantDirectory(controlPlane) }],
  exports: [TenantDirectory, TenantDatabasesModule],
})
export class TenancyModule {}
