import { ConnectorError } from '@pulse/connectors';
import { DomainError } from '@pulse/errors';

/** Blanks a source's secrets out of text (the opened source's scrubber); identity before it is open. */
export type Scrub = (text: string) => string;

/**
 * The error a failed sync records. Connector errors are the source's (scrubbed, with their code); other
 * domain errors keep their code (a failed import's `rejected_share_exceeded`, `empty_full_read`, ...).
 * Anything else failed inside Pulse (its own database, a bug): it is never labelled as the tenant's source
 * failing — `source_deleted` when the source went while the sync ran (its rows' foreign keys then fail),
 * else `internal`, with a message that does not quote Pulse's internals (the log keeps the original).
 */
export function syncFailure(error: unknown, scrub: Scrub, sourceStillExists: boolean): DomainError {
  if (error instanceof ConnectorError) return new ConnectorError(error.code, scrub(error.message));
  if (error instanceof DomainError) return new DomainError(error.kind, error.code, scrub(error.message));
  if (!sourceStillExists) return new DomainError('conflict', 'source_deleted', 'The source was deleted while this sync ran; what it had not committed was discarded.');
  return new DomainError('internal', 'internal', 'The sync stopped on an internal error in Pulse (not in the source); the next run reads from the last committed position.');
}
