import { DomainError, type ErrorKind } from '@pulse/errors';

export type ConnectorErrorCode =
  | 'invalid_source_config'
  | 'source_unreachable'
  | 'source_request_failed'
  | 'invalid_sync_state'
  | 'schema_drift';

const KIND: Record<ConnectorErrorCode, ErrorKind> = {
  invalid_source_config: 'invalid_input',
  source_unreachable: 'unavailable',
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
