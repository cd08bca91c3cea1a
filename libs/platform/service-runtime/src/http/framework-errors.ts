import { Logger } from '@nestjs/common';
import { PROBLEM_JSON_CONTENT_TYPE, type ProblemDetails } from '@pulse/contracts';
import { problemDetails } from '@pulse/errors';
import { CORRELATION_ID_HEADER, correlationIdFrom } from '@pulse/logging';
import type { ConnectionError, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { problemFor, problemInstance } from './problem-details.filter';

// Requests refused before any route (and so any hook, guard or exception filter) runs: by Fastify's
// router (frameworkErrors) or by Node's HTTP parser (clientErrorHandler). They get the problem+json,
// stable code and X-Correlation-Id every other error has, and a detail that never echoes the input.

const logger = new Logger('HTTP');

/** Logged, so that the correlation id the client was given leads somewhere. */
function logRefusal(correlationId: string, status: number, code: string): void {
  logger.log({ correlationId, res: { statusCode: status }, code }, 'request refused before routing');
}

function routerErrorProblem(error: FastifyError, url: string): ProblemDetails {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      // `bad_request`, the code it always had; only the detail no longer quotes the path.
      return problemDetails(400, 'bad_request', 'The path is not valid percent-encoding: every % must start a %XX escape, and the escaped bytes must be UTF-8.', problemInstance(url));
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problemDetails(414, 'uri_too_long', 'A segment of the path is longer than any this service takes.');
    default:
      return problemFor(error, problemInstance(url));
  }
}

/**
 * Fastify's `frameworkErrors`: a path that is not valid percent-encoding, a path parameter over
 * maxParamLength. The request has its id (the caller's X-Correlation-Id or a new one) but no onRequest
 * hook ran, so the id is echoed here.
 */
export function sendFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const body = routerErrorProblem(error, request.url);
  logRefusal(request.id, body.status, body.code);
  void reply.code(body.status).header(CORRELATION_ID_HEADER, request.id).header('content-type', PROBLEM_JSON_CONTENT_TYPE).send(body);
}

/** `FOO /path`: a well-formed method token (RFC 9110 5.6.2) that llhttp does not know. */
const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ /;

/**
 * What Node's parser reports: `code` (llhttp's HPE_*, or ERR_HTTP_REQUEST_TIMEOUT) and, in `rawPacket`,
 * the bytes it failed on (a Buffer, whatever Fastify's type says).
 */
function clientErrorProblem(error: ConnectionError): ProblemDetails {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return problemDetails(431, 'headers_too_large', 'The request line and headers are larger than this service accepts: send a shorter URL or fewer, smaller headers.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problemDetails(408, 'request_timeout', 'The request was not received in time.');
    case 'HPE_INVALID_METHOD':
      // RFC 9110 9.1: an unrecognized method is 501; bytes that are no method at all (TLS to the plain port) are not HTTP.
      if (Buffer.isBuffer(error.rawPacket) && METHOD_TOKEN.test(error.rawPacket.subarray(0, 32).toString('latin1'))) {
        return problemDetails(501, 'method_not_implemented', 'This service does not implement that method.');
      }
      return problemDetails(400, 'malformed_request', 'The request is not valid HTTP/1.1.');
    default:
      return problemDetails(400, 'malformed_request', 'The request is not valid HTTP/1.1.');
  }
}

/**
 * Fastify's `clientErrorHandler`, for what Node's HTTP parser refuses (headers over maxHeaderSize, a
 * method it does not know, bytes that are not HTTP, a request not received in time): Fastify's default
 * writes `{"error":...,"statusCode":...}`. The request never got an id, so a new correlation id is made.
 * Like Node's own handler, it answers only while no response has started on the connection, then
 * closes it: the parser cannot find the next request's start.
 */
export function answerClientError(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const body = clientErrorProblem(error);
  const correlationId = correlationIdFrom(undefined);
  logRefusal(correlationId, body.status, body.code);
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status] ?? ''}\r\n` +
        `Content-Type: ${PROBLEM_JSON_CONTENT_TYPE}; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\n` +
        `${CORRELATION_ID_HEADER}: ${correlationId}\r\n` +
        'Connection: close\r\n\r\n' +
        json,
    );
  }
  socket.destroy(error);
}
