import { DomainError, type ErrorKind } from '@pulse/errors';

export type ConnectorErrorCode =
  | 'invalid_source_config'
  | 'source_unreachable'
  /** The source's host is, or resolves to, a non-public address the operator has not allowed. */
  | 'source_address_not_allowed'
  | 'source_request_failed'
  | 'invalid_sync_state'
  | 'schema_drift';

const KIND: Record<ConnectorErrorCode, ErrorKind> = {
  invalid_source_config: 'invalid_input',
  source_unreachable: 'unavailable',
  // Not retryable: the same address is refused until the source or the operator's allow-list changes.
  source_address_not_allowed: 'forbidden',
  source_request_failed: 'unprocessable',
  invalid_sync_state: 'internal',
  schema_drift: 'unprocessable',
};

/** A source that cannot be read as configured; the message names the source-side cause, never a secret. */
export class ConnectorError extends DomainError<ConnectorErrorCode> {
  constructor(code: ConnectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(KIND[code], code, message, [], options);
  }
}
