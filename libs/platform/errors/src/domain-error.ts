import type { FieldError } from '@pulse/contracts';

/**
 * What went wrong, independent of transport. Each transport maps kinds once: HTTP to a status code
 * (problem+json), Pub/Sub to retry or dead-letter.
 */
export type ErrorKind =
  | 'invalid_input'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/**
 * Base of every error the domain raises on purpose. `code` is stable and documented (clients branch on
 * it); `message` is for humans and may change. Modules declare their codes as string unions.
 */
export class DomainError<Code extends string = string> extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: Code,
    message: string,
    readonly fieldErrors: readonly FieldError[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Whether retrying the same operation later may succeed (used by message consumers). */
  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'rate_limited';
  }
}

export class ValidationError extends DomainError<'validation_failed'> {
  constructor(fieldErrors: readonly FieldError[], message?: string) {
    super(
      'invalid_input',
      'validation_failed',
      message ?? `The request has ${fieldErrors.length} invalid field${fieldErrors.length === 1 ? '' : 's'}.`,
      fieldErrors,
    );
  }
}

export class NotFoundError<Code extends string = 'not_found'> extends DomainError<Code> {
  constructor(code: Code, message: string) {
    super('not_found', code, message);
  }
}

export class ConflictError<Code extends string = 'conflict'> extends DomainError<Code> {
  constructor(code: Code, message: string) {
    super('conflict', code, message);
  }
}
