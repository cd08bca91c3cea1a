import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { computeKpis } from '@pulse/metric-catalog';
import { POSTGRES_POOL } from '@pulse/service-runtime';
import { createWarehouse, type Warehouse } from '@pulse/warehouse';
import type { Pool } from 'pg';
import { METRICS_CONFIG, type MetricsConfig } from '../config/metrics.config';
import { TenantDirectory } from '../tenancy/tenant-directory';
import { TenantOffboardedHandler } from './tenant-offboarded.handler';
import { KPI_COMPUTER, WAREHOUSE } from './warehouse.tokens';

@Injectable()
class WarehouseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(WAREHOUSE) private readonly warehouse: Warehouse) {}

  async onApplicationShutdown(): Promise<void> {
    await this.warehouse.close();
  }
}

/** The configured warehouse (this process is the single writer of the tenants' DuckDB files), the catalog, and offboarding. */
@Module({
  controllers: [TenantOffboardedHandler],
  providers: [
    { provide: WAREHOUSE, inject: [METRICS_CONFIG], useFactory: (config: MetricsConfig) => createWarehouse(config.warehouse) },
    { provide: KPI_COMPUTER, useValue: computeKpis },
    // The control plane's word on which tenant is offboarded (stateless: one more instance costs nothing).
    { provide: TenantDirectory, inject: [POSTGRES_POOL], useFactory: (controlPlane: Pool) => new TenantDirectory(controlPlane) },
    WarehouseLifecycle,
  ],
  exports: [WAREHOUSE, KPI_COMPUTER],
})
export class WarehouseModule {}
