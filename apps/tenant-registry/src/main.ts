import { runService } from '@pulse/service-runtime';
import { AppModule } from './app.module';
import { tenantRegistryConfigSchema } from './config/tenant-registry.config';

void runService({
  name: 'tenant-registry',
  configSchema: tenantRegistryConfigSchema,
  settings: (config) => config.service,
  rootModule: (config) => AppModule.register(config),
});
