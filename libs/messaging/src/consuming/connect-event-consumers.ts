import type { PubSub } from '@google-cloud/pubsub';
import { Catch, type INestApplication, type RpcExceptionFilter } from '@nestjs/common';
import type { MessagingSettings } from '@pulse/config';
import { ReadinessRegistry, ROOT_LOGGER } from '@pulse/service-runtime';
import type { Logger } from 'pino';
import { hostname } from 'node:os';
import { throwError, type Observable } from 'rxjs';
import { MESSAGING_SETTINGS, PUBSUB_CLIENT } from '../messaging.module';
import { PubSubServer } from './pubsub.server';

/**
 * Nest's default RPC filter replaces an error with a generic one; the transport needs the original to
 * decide between retry and dead-letter, so errors pass through untouched.
 */
@Catch()
class PassThroughRpcFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

export interface EventConsumersOptions {
  /** Names this process's broadcast subscriptions, with a random suffix; the pod name on Kubernetes. Default: hostname. */
  host?: string;
  /** PubSubServerOptions.bindLogContext. Default true. */
  bindLogContext?: boolean;
}

/**
 * Attaches the Pub/Sub transport to a service app: every `@EventPattern(topic)` handler in its modules
 * starts consuming. Call before `listen`; `app.close()` drains and closes the consumers. Each
 * subscription registers a readiness probe that fails while its consumer cannot receive.
 */
export async function connectEventConsumers(app: INestApplication, consumer: string, options: EventConsumersOptions = {}): Promise<void> {
  const server = new PubSubServer({
    host: options.host ?? hostname(),
    bindLogContext: options.bindLogContext,
    readiness: app.get(ReadinessRegistry, { strict: false }),
    pubsub: app.get<PubSub>(PUBSUB_CLIENT),
    settings: app.get<MessagingSettings>(MESSAGING_SETTINGS),
    consumer,
    logger: app.get<Logger>(ROOT_LOGGER).child({ component: 'pubsub-consumer' }),
  });
  // Deferred so the filter is in place before Nest wraps the handlers.
  const microservice = app.connectMicroservice({ strategy: server }, { deferInitialization: true });
  microservice.useGlobalFilters(new PassThroughRpcFilter());
  await app.startAllMicroservices();
}
