import { WireTopic } from '../api/pubsub-wire.types';
import { ProtoDuration } from './proto-time';
import { parseResourceNameOrThrow } from './resource-names';
import { readUpdatePaths, unsupported } from './update-mask';

/** A topic's configuration. Only the name matters to delivery; the rest is stored and echoed. */
export interface TopicSettings {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly messageRetentionDuration: ProtoDuration | null;
  readonly kmsKeyName: string;
  readonly messageStoragePolicy: object | null;
}

export function readTopicOrThrow(wire: WireTopic): TopicSettings {
  parseResourceNameOrThrow(wire.name, 'topics');
  // Refused rather than ignored: publishing would skip the schema validation production does.
  if (wire.schemaSettings?.schema) throw unsupported('topic schemas');
  if (wire.ingestionDataSourceSettings) throw unsupported('import topics (ingestion_data_source_settings)');
  if (wire.messageTransforms?.length) throw unsupported('message transforms');
  return {
    name: wire.name,
    labels: { ...(wire.labels ?? {}) },
    messageRetentionDuration: wire.messageRetentionDuration ?? null,
    kmsKeyName: wire.kmsKeyName ?? '',
    messageStoragePolicy: wire.messageStoragePolicy ?? null,
  };
}

export function applyTopicUpdateOrThrow(
  current: TopicSettings,
  patch: WireTopic,
  maskPaths: readonly string[] | undefined,
): TopicSettings {
  let next = current;
  for (const path of readUpdatePaths(maskPaths)) {
    switch (path) {
      case 'labels':
        next = { ...next, labels: { ...(patch.labels ?? {}) } };
        break;
      case 'message_retention_duration':
        next = { ...next, messageRetentionDuration: patch.messageRetentionDuration ?? null };
        break;
      case 'kms_key_name':
        next = { ...next, kmsKeyName: patch.kmsKeyName ?? '' };
        break;
      case 'message_storage_policy':
        next = { ...next, messageStoragePolicy: patch.messageStoragePolicy ?? null };
        break;
      default:
        throw unsupported(`updating ${path}`);
    }
  }
  return next;
}

export function toWireTopic(settings: TopicSettings): WireTopic {
  return { ...settings, labels: { ...settings.labels }, state: 'ACTIVE' };
}
