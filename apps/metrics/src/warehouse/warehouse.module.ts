import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { computeKpis } from '@pulse/metric-catalog';
import { createWarehouse, type Warehouse } from '@pulse/warehouse';
import { METRICS_CONFIG, type MetricsConfig } from '../config/metrics.config';
import { TenancyModule } from '../tenancy/tenancy.module';
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
  // TenantDirectory: the control plane's word on which tenant is offboarded.
  imports: [TenancyModule],
  controllers: [TenantOffboardedHandler],
  providers: [
    { provide: WAREHOUSE, inject: [METRICS_CONFIG], useFactory: (config: MetricsConfig) => createWarehouse(config.warehouse) },
    { provide: KPI_COMPUTER, useValue: computeKpis },
    WarehouseLifecycle,
  ],
  exports: [WAREHOUSE, KPI_COMPUTER],
})
export class WarehouseModule {}
