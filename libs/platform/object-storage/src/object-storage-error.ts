import { DomainError } from '@pulse/errors';

export type ObjectStorageErrorCode = 'not_found' | 'invalid_key' | 'foreign_uri' | 'storage_unavailable';

const KIND = { not_found: 'not_found', invalid_key: 'invalid_input', foreign_uri: 'invalid_input', storage_unavailable: 'unavailable' } as const;

/** Storage failures with stable codes; `storage_unavailable` is retryable (an outage, not bad input). */
export class ObjectStorageError extends DomainError<`object_storage.${ObjectStorageErrorCode}`> {
  constructor(code: ObjectStorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(KIND[code], `object_storage.${code}`, message, [], options);
  }
}
