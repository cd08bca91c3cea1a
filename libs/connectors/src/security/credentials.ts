import { sourceCredentialsSchema, type SourceCredentials } from '@pulse/contracts';
import type { SecretBox } from '@pulse/crypto';
import { ConnectorError } from '../connector-errors';

/**
 * Credentials are stored as one SecretBox value (AES-256-GCM, key from PULSE_SECRETS_KEY; a KMS-held
 * key in production) and opened only inside the process that connects. They are never part of the
 * source's config JSON, never returned by the API and never logged.
 */
export function sealCredentials(box: SecretBox, credentials: SourceCredentials): string {
  return box.encrypt(JSON.stringify(sourceCredentialsSchema.parse(credentials)));
}

export function openCredentials(box: SecretBox, sealed: string | null | undefined): SourceCredentials {
  if (!sealed) return {};
  let plain: string;
  try {
    plain = box.decrypt(sealed);
  } catch {
    throw new ConnectorError('invalid_source_config', 'The source credentials cannot be decrypted with the configured key (was PULSE_SECRETS_KEY rotated?)');
  }
  return sourceCredentialsSchema.parse(JSON.parse(plain));
}

/** Names of the credentials that are set: what the API may show. */
export function credentialNames(credentials: SourceCredentials): string[] {
  return Object.keys(credentials).filter((name) => credentials[name as keyof SourceCredentials] !== undefined).sort();
}

/** Every secret value, for a SecretScrubber. */
export function secretValues(credentials: SourceCredentials): string[] {
  return Object.values(credentials).filter((value): value is string => typeof value === 'string');
}
