import { Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { metricsComputedV1 } from '@pulse/contracts';
import { SecretBox } from '@pulse/crypto';
import { EventPublisher, TenantOutboxSweeper } from '@pulse/messaging';
import { POSTGRES_POOL, ROOT_LOGGER } from '@pulse/service-runtime';
import { controlPlaneConnectionResolver, liveTenantDatabases, TenantDatabasePool, type LiveTenant } from '@pulse/tenancy';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { METRICS_CONFIG, type MetricsConfig } from '../config/metrics.config';
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
 * Tenants (control plane) and the pool that is the only way to their databases; and the sweeper that
 * publishes metrics.computed.v1 events a run left in its tenant's outbox (docs/messaging.md).
 */
@Module({
  providers: [
    { provide: TenantDirectory, inject: [POSTGRES_POOL], useFactory: (controlPlane: Pool) => new TenantDirectory(controlPlane) },
    {
      provide: TenantDatabasePool,
      inject: [POSTGRES_POOL, METRICS_CONFIG, ROOT_LOGGER],
      useFactory: (controlPlane: Pool, config: MetricsConfig, logger: Logger) =>
        new TenantDatabasePool({
          resolveConnection: controlPlaneConnectionResolver(controlPlane, SecretBox.fromBase64(config.tenancy.secretsKey.reveal())),
          maxConnectionsPerTenant: config.tenancy.perTenantConnections,
          maxTotalConnections: config.tenancy.maxConnections,
          applicationName: 'metrics',
          onIdleConnectionError: (error, tenantId) => logger.warn({ err: error, tenantId }, 'idle tenant connection lost'),
        }),
    },
    {
      provide: TenantOutboxSweeper,
      inject: [POSTGRES_POOL, TenantDatabasePool, EventPublisher, METRICS_CONFIG, ROOT_LOGGER],
      useFactory: (controlPlane: Pool, tenants: TenantDatabasePool, publisher: EventPublisher, config: MetricsConfig, logger: Logger) =>
        new TenantOutboxSweeper({
          ...liveTenantDatabases(controlPlane, tenants),
          publish: (message) => publisher.publishMessage(message),
          logger: logger.child({ component: 'tenant-outbox-sweeper' }),
          topics: [metricsComputedV1.topic],
          intervalMs: config.messaging.outboxSweepIntervalMs,
        }),
    },
    TenantPoolLifecycle,
  ],
  exports: [TenantDirectory, TenantDatabasePool],
})
export class TenancyModule {}
