import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { SecretBox } from '@pulse/crypto';
import { POSTGRES_POOL, ROOT_LOGGER } from '@pulse/service-runtime';
import { controlPlaneConnectionResolver, TenantDatabasePool } from '@pulse/tenancy';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { METRICS_CONFIG, type MetricsConfig } from '../config/metrics.config';
import { TenantDirectory } from './tenant-directory';

@Injectable()
class TenantPoolLifecycle implements OnApplicationShutdown {
  constructor(private readonly pool: TenantDatabasePool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}

/** Tenants (control plane) and the pool that is the only way to their databases. */
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
    TenantPoolLifecycle,
  ],
  exports: [TenantDirectory, TenantDatabasePool],
})
export class TenancyModule {}
