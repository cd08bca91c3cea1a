import type { PubSub } from '@google-cloud/pubsub';
import {
  Inject,
  Injectable,
  Module,
  Optional,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { MessagingSettings, Secret } from '@pulse/config';
import { ROOT_LOGGER } from '@pulse/service-runtime';
import type { Logger } from 'pino';
import { Pool } from 'pg';
import { OutboxRelay } from './outbox/outbox-relay';
import { createPubSubClient } from './pubsub-client';
import { EventPublisher } from './publishing/event-publisher';

export const PUBSUB_CLIENT = Symbol('PUBSUB_CLIENT');
export const MESSAGING_SETTINGS = Symbol('MESSAGING_SETTINGS');
const OUTBOX_POOL = Symbol('OUTBOX_POOL');

export interface MessagingModuleOptions {
  settings: MessagingSettings;
  /** Run an outbox relay for the database holding this service's `outbox` table. */
  outbox?: { databaseUrl: Secret; pollIntervalMs?: number };
}

/**
 * Starts the outbox relay once the app is up, and at shutdown — after HTTP and consumers have drained,
 * so nothing is still enqueuing — stops the relay and closes the client (an open client keeps the
 * process alive for seconds).
 */
@Injectable()
class MessagingLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(PUBSUB_CLIENT) private readonly pubsub: PubSub,
    @Optional() private readonly relay?: OutboxRelay,
    @Optional() @Inject(OUTBOX_POOL) private readonly outboxPool?: Pool,
  ) {}

  onApplicationBootstrap(): void {
    this.relay?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.outboxPool?.end();
    await this.pubsub.close();
  }
}

/** Pub/Sub client, typed EventPublisher and (optionally) the outbox relay of a service. */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    const outboxProviders = options.outbox
      ? [
          {
            provide: OUTBOX_POOL,
            inject: [ROOT_LOGGER],
            useFactory: (logger: Logger) => {
              const pool = new Pool({ connectionString: options.outbox?.databaseUrl.reveal(), max: 2, application_name: 'outbox-relay' });
              // An idle connection dropped by the server (restart, failover) must not crash the process;
              // the relay's next round reconnects.
              const lost = (error: Error) => logger.warn({ err: error, component: 'outbox-relay' }, 'outbox connection lost');
              pool.on('error', lost);
              // pg-pool listens for errors of idle clients only: a connection cut while checked out
              // would emit an unhandled 'error' and end the process. The failed query reports it instead.
              pool.on('connect', (client) => client.on('error', lost));
              return pool;
            },
          },
          {
            provide: OutboxRelay,
            inject: [OUTBOX_POOL, EventPublisher, ROOT_LOGGER],
            useFactory: (pool: Pool, publisher: EventPublisher, logger: Logger) =>
              new OutboxRelay({
                pool,
                publish: (message) => publisher.publishMessage(message),
                logger: logger.child({ component: 'outbox-relay' }),
                pollIntervalMs: options.outbox?.pollIntervalMs,
              }),
          },
        ]
      : [];
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: MESSAGING_SETTINGS, useValue: options.settings },
        { provide: PUBSUB_CLIENT, useFactory: () => createPubSubClient(options.settings) },
        {
          provide: EventPublisher,
          inject: [PUBSUB_CLIENT],
          useFactory: (pubsub: PubSub) => new EventPublisher(pubsub, options.settings),
        },
        ...outboxProviders,
        MessagingLifecycle,
      ],
      exports: [PUBSUB_CLIENT, MESSAGING_SETTINGS, EventPublisher, ...(options.outbox ? [OutboxRelay] : [])],
    };
  }
}
