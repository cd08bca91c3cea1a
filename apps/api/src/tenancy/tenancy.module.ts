import { Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ingestionRequestedV1, metricsRefreshRequestedV1 } from '@pulse/contracts';
import { SecretBox } from '@pulse/crypto';
import { EventPublisher, TenantOutboxSweeper } from '@pulse/messaging';
import { POSTGRES_POOL, ROOT_LOGGER } from '@pulse/service-runtime';
import { controlPlaneConnectionResolver, liveTenantDatabases, TenantDatabasePool, TenantResolver, type LiveTenant } from '@pulse/tenancy';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { TenantCacheInvalidationHandler } from './tenant-cache-invalidation.handler';
import { API_CONFIG, type ApiConfig } from '../config/api.config';

/** The events the api writes to tenant outboxes (and may publish: deploy/pubsub-consumers.json). */
const API_TOPICS = [ingestionRequestedV1.topic, metricsRefreshRequestedV1.topic];

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
 * Who is calling (TenantResolver, over the control plane) and the way to their database
 * (TenantDatabasePool, which is the only way any route reaches tenant data); and the sweeper that
 * publishes events the api left in tenant outboxes (the request publishes right after its commit; the
 * sweeper catches what that missed).
 */
@Module({
  controllers: [TenantCacheInvalidationHandler],
  providers: [
    {
      provide: TenantResolver,
      inject: [POSTGRES_POOL, API_CONFIG],
      useFactory: (controlPlane: Pool, config: ApiConfig) =>
        new TenantResolver(controlPlane, { baseDomain: config.tenancy.baseDomain, cacheTtlMs: config.tenancy.cacheTtlMs }),
    },
    {
      provide: TenantDatabasePool,
      inject: [POSTGRES_POOL, API_CONFIG, ROOT_LOGGER],
      useFactory: (controlPlane: Pool, config: ApiConfig, logger: Logger) =>
        new TenantDatabasePool({
          resolveConnection: controlPlaneConnectionResolver(controlPlane, SecretBox.fromBase64(config.tenancy.secretsKey.reveal())),
          maxConnectionsPerTenant: config.tenancy.perTenantConnections,
          maxTotalConnections: config.tenancy.maxConnections,
          applicationName: 'api',
          onIdleConnectionError: (error, tenantId) => logger.warn({ err: error, tenantId }, 'idle tenant connection lost'),
        }),
    },
    {
      provide: TenantOutboxSweeper,
      inject: [POSTGRES_POOL, TenantDatabasePool, EventPublisher, API_CONFIG, ROOT_LOGGER],
      useFactory: (controlPlane: Pool, tenants: TenantDatabasePool, publisher: EventPublisher, config: ApiConfig, logger: Logger) =>
        new TenantOutboxSweeper({
          ...liveTenantDatabases(controlPlane, tenants),
          publish: (message) => publisher.publishMessage(message),
          logger: logger.child({ component: 'tenant-outbox-sweeper' }),
          topics: API_TOPICS,
          intervalMs: config.messaging.outboxSweepIntervalMs,
        }),
    },
    TenantPoolLifecycle,
  ],
  exports: [TenantResolver, TenantDatabasePool],
})
export class TenancyModule {}
