import { Module } from '@nestjs/common';
import { ingestionCompletedV1, ingestionFailedV1, metricsRefreshRequestedV1 } from '@pulse/contracts';
import { TenantDatabasesModule } from '@pulse/tenancy-nest';
import { INGESTION_CONFIG, type IngestionConfig } from '../config/ingestion.config';
import { TenantDirectory } from './tenant-directory';

/**
 * The way to tenants' databases (TenantDatabasePool), what the control plane says about a tenant, and
 * the sweeper that publishes the ingestion.completed/failed.v1 events an import left in its tenant's
 * outbox when the publish right after its commit failed (docs/messaging.md).
 */
@Module({
  imports: [
    TenantDatabasesModule.forRootAsync({
      inject: [INGESTION_CONFIG],
      useFactory: (config: IngestionConfig) => ({
        applicationName: 'ingestion',
        secretsKey: config.tenancy.secretsKey,
        perTenantConnections: config.tenancy.perTenantConnections,
        maxConnections: config.tenancy.maxConnections,
        // A whole import holds one connection; waiting minutes for one is better than failing the import.
        acquireTimeoutMs: 120_000,
        outbox: { topics: [ingestionCompletedV1.topic, ingestionFailedV1.topic, metricsRefreshRequestedV1.topic], sweepIntervalMs: config.messaging.outboxSweepIntervalMs },
      }),
    }),
  ],
  providers: [TenantDirectory],
  exports: [TenantDatabasesModule, TenantDirectory],
})
export class TenancyModule {}
