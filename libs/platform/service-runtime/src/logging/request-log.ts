import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

/**
 * What one request logs under: its correlation id plus the fields modules learn while serving it
 * (tenantId once the request is authenticated). It hangs on the request itself, and code serving the
 * request logs through `requestLogger(request, root)`.
 *
 * Not through AsyncLocalStorage (nestjs-pino's PinoLogger reads its store from one): on Node 20 the first
 * `run` of any AsyncLocalStorage turns on V8 promise hooks for the rest of the process, and from then on
 * every promise made anywhere pays for them. In the api benchmark that was 40-85 µs of server CPU per
 * single-customer read (about a fifth of it; docs/benchmarks.md, "API").
 *
 * The child logger is made only when a line is written: most requests write none until their
 * completion line, and at LOG_LEVEL=warn not even that. pino-http, which this replaces, made two child
 * loggers per request and PinoLogger.assign a third: a visible share of a read's CPU time in the api
 * benchmark.
 */
class RequestLogStore {
  private readonly fields: Record<string, unknown>;
  private child: Logger | undefined;
  /** performance.now() when the request arrived: an aborted request has no reply time to report. */
  readonly startedAt = performance.now();

  constructor(
    private readonly root: Logger,
    correlationId: string,
  ) {
    this.fields = { correlationId };
  }

  get logger(): Logger {
    this.child ??= this.root.child(this.fields);
    return this.child;
  }

  assign(fields: Record<string, unknown>): void {
    Object.assign(this.fields, fields);
    if (this.child) this.child = this.child.child(fields);
  }
}

const REQUEST_LOG = Symbol('requestLog');

/** The log store the onRequest hook gave a request; none for a request refused before the hooks ran. */
function requestLogStore(request: object): RequestLogStore | undefined {
  return (request as { [REQUEST_LOG]?: RequestLogStore })[REQUEST_LOG];
}

/**
 * The logger for lines about a request, tagged with its correlation id and assigned fields; `fallback`
 * (the root logger of the caller's choice) for a request refused before the hooks ran.
 */
export function requestLogger(request: object, fallback: Logger): Logger {
  return requestLogStore(request)?.logger ?? fallback;
}

/** Adds fields (e.g. tenantId) to every later line of the request, its completion line included. */
export function assignRequestLogFields(request: object, fields: Record<string, unknown>): void {
  requestLogStore(request)?.assign(fields);
}

interface LoggedRequest {
  id: string;
  method: string;
  raw: IncomingMessage;
  [REQUEST_LOG]?: RequestLogStore;
}
interface LoggedReply {
  raw: ServerResponse;
  statusCode: number;
  elapsedTime: number;
}

/** Kubernetes probes every few seconds: logging each probe would drown real traffic. */
const PROBE_PATHS = new Set(['/healthz', '/readyz']);

function isProbe(url: string): boolean {
  const query = url.indexOf('?');
  return PROBE_PATHS.has(query === -1 ? url : url.slice(0, query));
}

/**
 * Fastify hooks for request logging: onRequest gives the request its log store; onResponse writes one
 * "request completed" line (info) with method, url as the client sent it, status, response time and the
 * store's fields, "request errored" (warn) for a 5xx. That line is never an error: the failure itself is
 * logged once, by whoever knows why (ProblemDetailsFilter: an error with the stack for a bug, a warning
 * for an outage), under the same correlation id; a second ERROR line per failure would double every
 * error report and alert. At warn, 5xx completion lines stay, so a 5xx answered without the filter still
 * shows. A client that closes the connection before its response is complete gets no onResponse:
 * onRequestAbort writes a "request aborted" line instead, so every logged request ends with one line
 * either way.
 */
export function requestLoggingHooks(root: Logger) {
  return {
    onRequest(request: LoggedRequest, _reply: LoggedReply, done: () => void): void {
      request[REQUEST_LOG] = new RequestLogStore(root, request.id);
      done();
    },
    onResponse(request: LoggedRequest, reply: LoggedReply, done: () => void): void {
      const failed = reply.statusCode >= 500;
      const store = request[REQUEST_LOG];
      const url = request.raw.url ?? '';
      if (store && root.isLevelEnabled(failed ? 'warn' : 'info') && !isProbe(url)) {
        const line = {
          req: { method: request.method, url },
          res: { statusCode: reply.statusCode },
          responseTime: Math.round(reply.elapsedTime),
        };
        if (failed) store.logger.warn(line, 'request errored');
        else store.logger.info(line, 'request completed');
      }
      done();
    },
    onRequestAbort(request: LoggedRequest, done: () => void): void {
      const store = request[REQUEST_LOG];
      const url = request.raw.url ?? '';
      if (store && root.isLevelEnabled('info') && !isProbe(url)) {
        store.logger.info({ req: { method: request.method, url }, responseTime: Math.round(performance.now() - store.startedAt) }, 'request aborted');
      }
      done();
    },
  };
}
