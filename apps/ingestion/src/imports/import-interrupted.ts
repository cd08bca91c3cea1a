import { DomainError } from '@pulse/errors';

/**
 * Why shutdown interrupted an import (ImportLoader.beforeApplicationShutdown). Retryable: the request is
 * delivered again (to another replica) and the import resumes from its last checkpoint.
 */
export function importInterrupted(importId: string): DomainError {
  return new DomainError(
    'unavailable',
    'import.interrupted',
    `The ingestion service stopped while import ${importId} was loading; nothing of its unfinished step was applied, and it resumes from its last checkpoint when its request is delivered again.`,
  );
}
