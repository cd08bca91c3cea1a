import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Log } from './api/api-error';
import { loadPubSubServices } from './api/load-pubsub-services';
import { publisherService } from './api/publisher.service';
import { subscriberService } from './api/subscriber.service';
import { PubSubBroker } from './broker/pubsub-broker';
import { DeliveryEngine } from './delivery/delivery-engine';

export interface PubSubEmulatorOptions {
  /** Interface to bind; default 127.0.0.1. */
  readonly host?: string;
  /** Default 8085 (the SDK emulator's); 0 picks a free port. */
  readonly port?: number;
  /** Receives one line per notable event (resources created/deleted, dead-lettering, internal errors). */
  readonly logger?: Log;
}

export interface RunningPubSubEmulator {
  readonly host: string;
  readonly port: number;
  /** `host:port`, for PUBSUB_EMULATOR_HOST or the client's `apiEndpoint`. */
  readonly address: string;
  /** Ends open streams and waiting pulls, then closes the server. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Publish requests may carry 10 MB of messages; grpc-js would refuse anything over 4 MB by default. */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** How long stop() lets ended calls flush their status before cutting connections. */
const SHUTDOWN_GRACE_MS = 500;

export async function startPubSubEmulator(options: PubSubEmulatorOptions = {}): Promise<RunningPubSubEmulator> {
  const host = options.host ?? '127.0.0.1';
  const log = options.logger ?? (() => undefined);
  const clock = () => Date.now();

  // The broker reports new messages to the engine (only ever after both exist), and the engine reads
  // the broker's backlogs.
  const broker = new PubSubBroker({
    clock,
    log,
    onMessagesEnqueued: (subscription) => delivery.deliverPending(subscription),
    onSubscriptionDeleted: (subscription) => delivery.subscriptionDeleted(subscription),
  });
  const delivery = new DeliveryEngine(broker, clock);

  const services = loadPubSubServices();
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  server.addService(services.publisher, publisherService(broker, log));
  server.addService(services.subscriber, subscriberService(broker, delivery, log));

  const bindHost = host.includes(':') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bindHost}:${options.port ?? 8085}`, ServerCredentials.createInsecure(), (error, boundPort) => {
      if (!error) return resolve(boundPort);
      server.forceShutdown();
      reject(error);
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= new Promise<void>((resolve) => {
      delivery.shutdown();
      const cutOff = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(cutOff);
        resolve();
      });
    });
    return stopping;
  };

  return { host, port, address: `${bindHost}:${port}`, stop };
}
