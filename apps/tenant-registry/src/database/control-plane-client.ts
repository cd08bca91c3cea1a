import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { ReadinessRegistry } from '@pulse/service-runtime';
import { PrismaClient } from '../generated/prisma/client';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from '../config/tenant-registry.config';

/**
 * Prisma client for the control-plane database, through the `pg` driver adapter (no engine binary).
 * Connects lazily; its readiness probe is what /readyz reports as `control-plane-db`.
 */
@Injectable()
export class ControlPlaneClient extends PrismaClient implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(TENANT_REGISTRY_CONFIG) config: TenantRegistryConfig,
    private readonly readiness: ReadinessRegistry,
  ) {
    super({
      adapter: new PrismaPg({
        connectionString: config.controlPlane.url.reveal(),
        application_name: 'tenant-registry',
        max: 5,
        connectionTimeoutMillis: 2_000,
      }),
    });
  }

  onModuleInit(): void {
    this.readiness.register('control-plane-db', async () => {
      await this.$queryRaw`SELECT 1`;
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
