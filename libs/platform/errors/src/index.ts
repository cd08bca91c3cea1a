export { DomainError, ValidationError, NotFoundError, ConflictError, type ErrorKind } from './domain-error';
export { fieldErrorsFromZod, validationErrorFromZod, type InputLocation } from './zod-issues';
export { fieldErrorsForNulCharacters } from './nul-characters';
export { assertSingleAuthorizationHeader, type ChallengeHeaderTarget } from './authorization-header';
export { toProblemDetails, problemDetails, problemType, httpStatusOf, titleOf, UNAVAILABLE_RETRY_AFTER_SECONDS } from './problem-details';
export { isDatabaseUnavailable, isTransactionConflict } from './database-unavailable';
