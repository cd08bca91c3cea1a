import type { ProblemDetails } from '@pulse/contracts';
import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from './database-unavailable';
import { DomainError, type ErrorKind } from './domain-error';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

// RFC 9110 renamed these two; Node's reason phrases keep the RFC 7231 names.
const TITLE_BY_STATUS: Record<number, string> = {
  413: 'Content Too Large',
  422: 'Unprocessable Content',
};

export function httpStatusOf(kind: ErrorKind): number {
  return STATUS_BY_KIND[kind];
}

/** The status's reason phrase, in RFC 9110's wording. */
export function titleOf(status: number): string {
  return TITLE_BY_STATUS[status] ?? STATUS_CODES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** `type` is a URI naming the problem; a URN keeps it stable without promising a web page. */
export function problemType(code: string): string {
  return `urn:pulse:problem:${code}`;
}

export function problemDetails(status: number, code: string, detail: string, instance?: string): ProblemDetails {
  return { type: problemType(code), title: titleOf(status), status, detail, code, ...(instance ? { instance } : {}) };
}

/** Seconds a client is asked to wait (Retry-After) before repeating a request refused by an outage (503). */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * The single mapping from an error to its RFC 9457 body. Errors that are not DomainErrors are bugs or
 * outages: their message is not shown to clients (it may hold internals). A database that cannot be
 * reached or does not answer in time (isDatabaseUnavailable) is a 503 `database_unavailable`, worth
 * retrying; anything else a generic 500.
 */
export function toProblemDetails(error: unknown, instance?: string): ProblemDetails {
  if (error instanceof DomainError) {
    const body = problemDetails(httpStatusOf(error.kind), error.code, error.message, instance);
    return error.fieldErrors.length > 0 ? { ...body, errors: [...error.fieldErrors] } : body;
  }
  if (isDatabaseUnavailable(error)) {
    return problemDetails(503, 'database_unavailable', 'The database is not answering just now; retry in a few seconds.', instance);
  }
  return problemDetails(500, 'internal_error', 'An unexpected error occurred. It has been logged.', instance);
}
