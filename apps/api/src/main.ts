import { connectEventConsumers } from '@pulse/messaging';
import { runService } from '@pulse/service-runtime';
import { AppModule } from './app.module';
import { apiConfigSchema } from './config/api.config';

void runService({
  name: 'api',
  configSchema: apiConfigSchema,
  settings: (config) => config.service,
  rootModule: (config) => AppModule.register(config),
  beforeListen: (app) => connectEventConsumers(app, 'api'),
});
