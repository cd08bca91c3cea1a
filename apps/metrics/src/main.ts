import { connectEventConsumers } from '@pulse/messaging';
import { runService } from '@pulse/service-runtime';
import { AppModule } from './app.module';
import { metricsConfigSchema } from './config/metrics.config';

void runService({
  name: 'metrics',
  configSchema: metricsConfigSchema,
  settings: (config) => config.service,
  rootModule: (config) => AppModule.register(config),
  beforeListen: (app) => connectEventConsumers(app, 'metrics'),
});
