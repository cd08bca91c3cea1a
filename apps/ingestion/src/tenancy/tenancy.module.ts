import { Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ingestionCompletedV1, ingestionFailedV1 } from '@pulse/contracts';
import { SecretBox } from '@pulse/crypto';
import { EventPublisher, TenantOutboxSweeper } from '@pulse/messaging';
import { POSTGRES_POOL, ROOT_LOGGER } from '@pulse/service-runtime';
import { controlPlaneConnectionResolver, liveTenantDatabases, TenantDatabasePool, type LiveTenant } from '@pulse/tenancy';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { INGESTION_CONFIG, type IngestionConfig } from '../config/ingestion.config';
import { TenantDirectory } from './tenant-directory';

/** Starts the tenant outbox sweeper with the app; at shutdown stops it before closing the tenant pools. */
@Injectable()
class TenantPoolLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly pool: TenantDatabasePool,
    private readonly sweeper: TenantOutboxSweeper<LiveTenant>,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeper.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
    await this.pool.close();
  }
}

/**
 * The way to tenants' databases (TenantDatabasePool), what the control plane says about a tenant, and
 * the sweeper that publishes the ingestion.completed/failed.v1 events an import left in its tenant's
 * outbox when the publish right after its commit failed (docs/messaging.md).
 */
@Module({
  providers: [
    {
      provide: TenantDatabasePool,
      inject: [POSTGRES_POOL, INGESTION_CONFIG, ROOT_LOGGER],
      useFactory: (controlPlane: Pool, config: IngestionConfig, logger: Logger) =>
        new TenantDatabasePool({
          resolveConnection: controlPlaneConnectionResolver(controlPlane, SecretBox.fromBase64(config.tenancy.secretsKey.reveal())),
          maxConnectionsPerTenant: config.tenancy.perTenantConnections,
          maxTotalConnections: config.tenancy.maxConnections,
          applicationName: 'ingestion',
          // A whole import holds one connection; waiting minutes for one is better than failing the import.
          acquireTimeoutMs: 120_000,
          onIdleConnectionError: (error, tenantId) => logger.warn({ err: error, tenantId }, 'idle tenant connection lost'),
        }),
    },
    {
      provide: TenantOutboxSweeper,
      inject: [POSTGRES_POOL, TenantDatabasePool, EventPublisher, INGESTION_CONFIG, ROOT_LOGGER],
      useFactory: (controlPlane: Pool, tenants: TenantDatabasePool, publisher: EventPublisher, config: IngestionConfig, logger: Logger) =>
        new TenantOutboxSweeper({
          ...liveTenantDatabases(controlPlane, tenants),
          publish: (message) => publisher.publishMessage(message),
          logger: logger.child({ component: 'tenant-outbox-sweeper' }),
          topics: [ingestionCompletedV1.topic, ingestionFailedV1.topic],
          intervalMs: config.messaging.outboxSweepIntervalMs,
        }),
    },
    TenantDirectory,
    TenantPoolLifecycle,
  ],
  exports: [TenantDatabasePool, TenantDirectory],
})
export class TenancyModule {}
