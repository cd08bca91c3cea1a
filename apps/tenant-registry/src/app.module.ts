import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@pulse/messaging';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from './config/tenant-registry.config';
import { ControlPlaneClient } from './database/control-plane-client';

/** Composition root of the tenant registry (control plane: tenants, API keys, tenant databases). */
@Module({})
export class AppModule {
  static register(config: TenantRegistryConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [MessagingModule.forRoot({ settings: config.messaging })],
      providers: [{ provide: TENANT_REGISTRY_CONFIG, useValue: config }, ControlPlaneClient],
      exports: [TENANT_REGISTRY_CONFIG, ControlPlaneClient],
    };
  }
}
