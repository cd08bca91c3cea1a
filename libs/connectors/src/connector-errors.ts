import { DomainError, type ErrorKind } from '@pulse/errors';

export type ConnectorErrorCode =
  | 'invalid_source_config'
  | 'source_unreachable'
  /** The database refused the user or password (or the user's access to the database). */
  | 'source_auth_failed'
  /** The source's host is, or resolves to, a non-public address the operator has not allowed. */
  | 'source_address_not_allowed'
  | 'source_request_failed'
  /** One answer was larger than the client reads into memory (`maxResponseBytes`). */
  | 'source_response_too_large'
  /** Pagination led back to a page already read in this sync (a repeated cursor, token or next link, or the same page again). */
  | 'source_pagination_loop'
  /** More pages than one sync may read (`maxPages`). */
  | 'source_too_many_pages'
  /** A next-page link or URL cursor pointed to another origin than the source's URL; credentials are not sent there. */
  | 'source_cross_origin_next_page'
  | 'invalid_sync_state'
  | 'schema_drift';

const KIND: Record<ConnectorErrorCode, ErrorKind> = {
  invalid_source_config: 'invalid_input',
  source_unreachable: 'unavailable',
  // Not retryable: the same credentials are refused until the tenant changes them.
  source_auth_failed: 'unprocessable',
  // Not retryable: the same address is refused until the source or the operator's allow-list changes.
  source_address_not_allowed: 'forbidden',
  source_request_failed: 'unprocessable',
  // The source's own behaviour: retrying as is gives the same answer.
  source_response_too_large: 'unprocessable',
  source_pagination_loop: 'unprocessable',
  source_too_many_pages: 'unprocessable',
  source_cross_origin_next_page: 'unprocessable',
  invalid_sync_state: 'internal',
  schema_drift: 'unprocessable',
};

/** A source that cannot be read as configured; the message names the source-side cause, never a secret. */
export class ConnectorError extends DomainError<ConnectorErrorCode> {
  constructor(code: ConnectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(KIND[code], code, message, [], options);
  }
}
