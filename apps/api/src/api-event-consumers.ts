import type { INestApplication } from '@nestjs/common';
import { connectEventConsumers } from '@pulse/messaging';

/**
 * The api's event consumers (tenant cache invalidation), as main.ts starts them. Their handlers write no
 * log lines, and binding the lines' fields would start an AsyncLocalStorage: on Node 20 that turns on
 * promise hooks for every later request (PubSubServerOptions.bindLogContext).
 */
export function connectApiEventConsumers(app: INestApplication, host?: string): Promise<void> {
  return connectEventConsumers(app, 'api', { host, bindLogContext: false });
}
