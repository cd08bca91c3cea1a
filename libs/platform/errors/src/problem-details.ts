import type { ProblemDetails } from '@pulse/contracts';
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

const TITLE_BY_STATUS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function httpStatusOf(kind: ErrorKind): number {
  return STATUS_BY_KIND[kind];
}

export function titleOf(status: number): string {
  return TITLE_BY_STATUS[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** `type` is a URI naming the problem; a URN keeps it stable without promising a web page. */
export function problemType(code: string): string {
  return `urn:pulse:problem:${code}`;
}

export function problemDetails(status: number, code: string, detail: string, instance?: string): ProblemDetails {
  return { type: problemType(code), title: titleOf(status), status, detail, code, ...(instance ? { instance } : {}) };
}

/**
 * The single mapping from an error to its RFC 9457 body. Errors that are not DomainErrors are bugs or
 * outages: their message is not shown to clients (it may hold internals), only a generic 500.
 */
export function toProblemDetails(error: unknown, instance?: string): ProblemDetails {
  if (error instanceof DomainError) {
    const body = problemDetails(httpStatusOf(error.kind), error.code, error.message, instance);
    return error.fieldErrors.length > 0 ? { ...body, errors: [...error.fieldErrors] } : body;
  }
  return problemDetails(500, 'internal_error', 'An unexpected error occurred. It has been logged.', instance);
}
