import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { SecretBox } from '@pulse/crypto';
import { POSTGRES_POOL, ROOT_LOGGER } from '@pulse/service-runtime';
import { controlPlaneConnectionResolver, TenantDatabasePool, TenantResolver } from '@pulse/tenancy';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { TenantCacheInvalidationHandler } from './tenant-cache-invalidation.handler';
import { API_CONFIG, type ApiConfig } from '../config/api.config';

@Injectable()
class TenantPoolLifecycle implements OnApplicationShutdown {
  constructor(private readonly pool: TenantDatabasePool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}

/**
 * Who is calling (TenantResolver, over the control plane) and the way to their database
 * (TenantDatabasePool, which is the only way any route reaches tenant data).
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
    TenantPoolLifecycle,
  ],
  exports: [TenantResolver, TenantDatabasePool],
})
export class TenancyModule {}
