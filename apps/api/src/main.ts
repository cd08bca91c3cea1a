import { runService } from '@pulse/service-runtime';
import { setFlagsFromString } from 'node:v8';
import { connectApiEventConsumers } from './api-event-consumers';
import { AppModule } from './app.module';
import { apiConfigSchema } from './config/api.config';

// V8 allocates objects straight in the old generation once most objects from the same allocation site
// outlive a young-generation collection. Under load a request lives through a few of those, so its
// per-request objects get pretenured; they then keep each page's rows alive until a full collection,
// and every scavenge copies them: a list page cost 0.9 ms of CPU instead of 0.7 (docs/benchmarks.md, "API").
// Set before the app is built, so that no request-path allocation site has been pretenured yet.
setFlagsFromString('--no-allocation-site-pretenuring');

void runService({
  name: 'api',
  configSchema: apiConfigSchema,
  settings: (config) => config.service,
  rootModule: (config) => AppModule.register(config),
  beforeListen: (app) => connectApiEventConsumers(app),
});
