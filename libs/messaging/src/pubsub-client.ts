import { PubSub, type ClientConfig } from '@google-cloud/pubsub';
import type { MessagingSettings } from '@pulse/config';

/**
 * gRPC waits longer and longer between attempts to reconnect to a server it lost (up to two minutes by
 * default): after a Pub/Sub outage, the outbox relay and the consumers would stay away for up to that
 * long after it came back. At most 10 s here.
 */
const MAX_RECONNECT_BACKOFF_MS = 10_000;

/**
 * The official client, pointed at the emulator when one is configured. In production it uses Workload
 * Identity credentials from the environment, as every Google client does.
 */
export function createPubSubClient(settings: Pick<MessagingSettings, 'projectId' | 'emulatorHost'>): PubSub {
  // The client passes `grpc.*` options on to its channels (it sets keepalive ones itself); its type does not list them.
  const options: ClientConfig & Record<`grpc.${string}`, number> = {
    projectId: settings.projectId,
    'grpc.max_reconnect_backoff_ms': MAX_RECONNECT_BACKOFF_MS,
    ...(settings.emulatorHost ? { apiEndpoint: settings.emulatorHost, emulatorMode: true } : {}),
  };
  return new PubSub(options);
}
