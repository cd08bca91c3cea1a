import { Module } from '@nestjs/common';
import { ingestionRequestedV1, metricsRefreshRequestedV1 } from '@pulse/contracts';
import { POSTGRES_POOL } from '@pulse/service-runtime';
import { TenantResolver } from '@pulse/tenancy';
import { TenantDatabasesModule } from '@pulse/tenancy-nest';
import type { Pool } from 'pg';
import { TenantCacheInvalidationHandler } from './tenant-cache-invalidation.handler';
import { API_CONFIG, type ApiConfig } from '../config/api.config';

/**
 * Who is calling (TenantResolver, over the control plane) and the way to their database
 * (TenantDatabasePool, which is the only way any route reaches tenant data), with the sweeper that
 * publishes the events the api left in tenant outboxes (ingestion.requested, metrics.refresh-requested):
 * the request publishes right after its commit, the sweeper catches what that missed.
 */
@Module({
  imports: [
    TenantDatabasesModule.forRootAsync({
      inject: [API_CONFIG],
      useFactory: (config: ApiConfig) => ({
        applicationName: 'api',
        secretsKey: config.tenancy.secretsKey,
        perTenantConnections: config.tenancy.perTenantConnections,
        maxConnections: config.tenancy.maxConnections,
        connectTimeoutMs: config.tenancy.connectTimeoutMs,
        queryTimeoutMs: config.tenancy.queryTimeoutMs,
        outbox: { topics: [ingestionRequestedV1.topic, metricsRefreshRequestedV1.topic], sweepIntervalMs: config.messaging.outboxSweepIntervalMs },
      }),
    }),
  ],
  controllers: [TenantCacheInvalidationHandler],
  providers: [
    {
      provide: TenantResolver,
      inject: [POSTGRES_POOL, API_CONFIG],
      useFactory: (controlPlane: Pool, config: ApiConfig) =>
        new TenantResolver(controlPlane, { baseDomain: config.tenancy.baseDomain, cacheTtlMs: config.tenancy.cacheTtlMs }),
    },
  ],
  exports: [TenantResolver, TenantDatabasesModule],
})
export class TenancyModule {}
