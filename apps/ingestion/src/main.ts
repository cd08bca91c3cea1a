import { connectEventConsumers } from '@pulse/messaging';
import { runService } from '@pulse/service-runtime';
import { AppModule } from './app.module';
import { ingestionConfigSchema } from './config/ingestion.config';

void runService({
  name: 'ingestion',
  configSchema: ingestionConfigSchema,
  settings: (config) => config.service,
  rootModule: (config) => AppModule.register(config),
  beforeListen: (app) => connectEventConsumers(app, 'ingestion'),
});
