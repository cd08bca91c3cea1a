import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { PROBLEM_JSON_CONTENT_TYPE, type ProblemDetails } from '@pulse/contracts';
import { DomainError, isDatabaseUnavailable, isTransactionConflict, problemDetails, toProblemDetails, UNAVAILABLE_RETRY_AFTER_SECONDS } from '@pulse/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { requestLogger } from '../logging/request-log';

/** Stable codes for failures raised by the HTTP stack itself rather than by our domain. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'route_not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

interface FrameworkError {
  statusCode: number;
  message: string;
}

function isFrameworkClientError(error: unknown): error is FrameworkError {
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

/** Terminus reports a failed readiness check as a 503 whose body lists each dependency. */
function readinessFailure(exception: HttpException): Record<string, unknown> | undefined {
  const body = exception.getResponse() as { status?: unknown; details?: Record<string, unknown> };
  return exception.getStatus() === 503 && body?.status === 'error' && body.details ? body.details : undefined;
}

/**
 * Longer than any path a valid request has (a 255-character id percent-encoded is at most 2,295
 * characters): beyond it, `instance` would only echo the client's input back, so it is left out.
 */
const MAX_INSTANCE_LENGTH = 4_096;

/** The problem's `instance`: the request's path without its query, unless it is too long to be one of ours. */
export function problemInstance(url: string): string | undefined {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.length <= MAX_INSTANCE_LENGTH ? path : undefined;
}

/** Framework messages may quote the request (`Cannot GET <url>`): kept short, whatever the client sent. */
function brief(message: string): string {
  return message.length <= 200 ? message : `${message.slice(0, 200)}…`;
}

export function problemFor(exception: unknown, instance: string | undefined): ProblemDetails & Record<string, unknown> {
  if (exception instanceof DomainError) return toProblemDetails(exception, instance);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const checks = readinessFailure(exception);
    if (checks) return { ...problemDetails(503, 'not_ready', 'A dependency of this service is unavailable.', instance), checks };
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
    return problemDetails(status, code, status >= 500 ? 'An unexpected error occurred.' : brief(exception.message), instance);
  }
  // Fastify's own errors (malformed JSON, wrong content type, body too large) carry a safe message.
  if (isFrameworkClientError(exception)) {
    const code = CODE_BY_STATUS[exception.statusCode] ?? 'bad_request';
    return problemDetails(exception.statusCode, code, brief(exception.message), instance);
  }
  return toProblemDetails(exception, instance);
}

/** Methods that change nothing (RFC 9110 9.2.1): running one again is always safe. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * A read that lost a deadlock or a serialization failure (isTransactionConflict) changed nothing and
 * will most likely succeed when sent again: a 503 `database_unavailable` with Retry-After, like an
 * outage, not a 500 (it is no bug). A write that loses one stays a 500: whether and how to retry it is
 * the route's to decide.
 */
export function readConflictProblem(exception: unknown, method: string, instance: string | undefined): ProblemDetails | undefined {
  if (!SAFE_METHODS.has(method.toUpperCase()) || !isTransactionConflict(exception)) return undefined;
  return problemDetails(503, 'database_unavailable', 'A concurrent change to the data got in the way of this read; retry in a few seconds.', instance);
}

/**
 * The one HTTP mapping of errors: every error response is RFC 9457 problem+json. It also writes the one
 * log line that says why a request failed with a 5xx (the request's completion line, request-log.ts, only
 * reports the status): an error with its stack for a bug (500), a warning for an outage (503: a
 * dependency failed or the database is not answering), which also tells the client when to retry.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  /** `rootLogger`: for a request refused before the request log hooks gave it its own (request-log.ts). */
  constructor(private readonly rootLogger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const instance = problemInstance(request.url);
    const readConflict = readConflictProblem(exception, request.method, instance);
    const problem = readConflict ?? problemFor(exception, instance);

    if (problem.status >= 500 && problem.code !== 'not_ready') {
      const logger = requestLogger(request, this.rootLogger);
      const line = { context: 'HTTP', code: problem.code };
      const message = `request failed: ${request.method} ${request.url}`;
      if (exception instanceof DomainError) {
        // Expected outage with its reason in the body.
        logger.warn({ ...line, detail: problem.detail }, message);
      } else if (readConflict || isDatabaseUnavailable(exception)) {
        // The driver's error says which database and how (timeout, refused): the body does not.
        logger.warn({ ...line, err: exception }, message);
      } else {
        logger.error({ ...line, err: exception }, message);
      }
    }
    if (problem.status === 503 && problem.code !== 'not_ready' && !reply.hasHeader('retry-after')) {
      void reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    }
    if (problem.status === 401 && !reply.hasHeader('www-authenticate')) void reply.header('www-authenticate', bearerChallenge(request));
    void reply.status(problem.status).header('content-type', PROBLEM_JSON_CONTENT_TYPE).send(problem);
  }
}

/**
 * The challenge a 401 must carry (RFC 9110 15.5.2). Every Pulse service authenticates with a Bearer
 * token (API keys, the operator token): a request that sent one learns it was not accepted
 * (`invalid_token`), one that sent none only which scheme to use (RFC 6750 3.1).
 */
function bearerChallenge(request: FastifyRequest): string {
  return /^Bearer\s+\S/i.test(request.headers.authorization ?? '') ? 'Bearer error="invalid_token"' : 'Bearer';
}
