import { PubSub } from '@google-cloud/pubsub';
import type { MessagingSettings } from '@pulse/config';

/**
 * The official client, pointed at the emulator when one is configured. In production it uses Workload
 * Identity credentials from the environment, as every Google client does.
 */
export function createPubSubClient(settings: Pick<MessagingSettings, 'projectId' | 'emulatorHost'>): PubSub {
  return new PubSub({
    projectId: settings.projectId,
    ...(settings.emulatorHost ? { apiEndpoint: settings.emulatorHost, emulatorMode: true } : {}),
  });
}
