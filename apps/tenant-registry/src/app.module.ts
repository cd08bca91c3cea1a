import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MessagingModule } from '@pulse/messaging';
import { BodyMediaTypeGuard, MalformedBodyGuard, OpenApiModule, UndeclaredQueryGuard } from '@pulse/service-runtime';
import { ApiKeyUseCases } from './api-keys/api-key.use-cases';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { OperatorAuthGuard } from './auth/operator-auth.guard';
import { TENANT_REGISTRY_CONFIG, type TenantRegistryConfig } from './config/tenant-registry.config';
import { ControlPlaneClient } from './database/control-plane-client';
import { ProvisionTenantUseCase } from './provisioning/provision-tenant.use-case';
import { provisioningProviders } from './provisioning/provisioning.tokens';
import { objectStorageProvider } from './storage/object-storage.provider';
import { ChangeTenantStatusUseCase } from './tenants/change-tenant-status.use-case';
import { CreateTenantUseCase } from './tenants/create-tenant.use-case';
import { OffboardTenantUseCase } from './tenants/offboard-tenant.use-case';
import { TenantQueries } from './tenants/tenant-queries';
import { UpdateTenantUseCase } from './tenants/update-tenant.use-case';
import { TenantsController } from './tenants/tenants.controller';

/** Composition root of the tenant registry (control plane: tenants, API keys, tenant databases; erasure of their files). */
@Module({})
export class AppModule {
  static register(config: TenantRegistryConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        MessagingModule.forRoot({ settings: config.messaging, outbox: { databaseUrl: config.controlPlane.url } }),
        OpenApiModule.forRoot({
          title: 'Pulse tenant registry (operator API)',
          version: config.service.version,
          bearerDescription: 'The operator token (PULSE_OPERATOR_TOKEN).',
        }),
      ],
      controllers: [TenantsController, ApiKeysController],
      providers: [
        { provide: TENANT_REGISTRY_CONFIG, useValue: config },
        // Global guards run in this order: the operator token first (401 before any 400 or 415 about the
        // request), then a body of JSON (415 for another media type, left unread), a JSON body that parses,
        // and no undeclared query parameter.
        { provide: APP_GUARD, useClass: OperatorAuthGuard },
        { provide: APP_GUARD, useClass: BodyMediaTypeGuard },
        { provide: APP_GUARD, useClass: MalformedBodyGuard },
        { provide: APP_GUARD, useClass: UndeclaredQueryGuard },
        ControlPlaneClient,
        ...provisioningProviders,
        objectStorageProvider,
        ProvisionTenantUseCase,
        CreateTenantUseCase,
        ChangeTenantStatusUseCase,
        OffboardTenantUseCase,
        UpdateTenantUseCase,
        ApiKeyUseCases,
        TenantQueries,
      ],
      exports: [TENANT_REGISTRY_CONFIG, ControlPlaneClient],
    };
  }
}
