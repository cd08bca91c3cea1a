import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceSettings } from '@pulse/config';
import { CORRELATION_ID_HEADER, correlationIdFrom, createRootLogger } from '@pulse/logging';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { storage, Store } from 'nestjs-pino/storage';
import type { Logger } from 'pino';
import { pinoHttp, type Options } from 'pino-http';

/** The service's root pino logger, for components that log outside a request (consumers, relays). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

@Module({})
class ServiceLoggingModule {}

const PROBE_PATHS = new Set(['/healthz', '/readyz']);

/** The middleware layer rewrites `url` relative to its mount point; `originalUrl` is what the client sent. */
function pathOf(req: IncomingMessage & { originalUrl?: string }): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
}

/** Fastify options that make the request id the caller's X-Correlation-Id (or a new one). */
export const correlationIdOptions = {
  genReqId: (req: { headers: IncomingHttpHeaders }) => correlationIdFrom(req.headers[CORRELATION_ID_HEADER]),
};

interface HookRequest {
  id: string;
  raw: IncomingMessage & { id?: unknown; log?: Logger };
}
interface HookReply {
  raw: ServerResponse & { log?: Logger };
  header(name: string, value: string): unknown;
}
type OnRequestHook = (request: HookRequest, reply: HookReply, done: () => void) => void;

/** Echoes the correlation id on every response, errors included, so callers can quote it. */
export function echoCorrelationId(request: { id: string }, reply: { header(name: string, value: string): unknown }, done: () => void): void {
  reply.header(CORRELATION_ID_HEADER, request.id);
  done();
}

/**
 * A Fastify onRequest hook doing what nestjs-pino's middleware does: pino-http's request logger, then
 * the request's logger bound for everything that runs while serving it (PinoLogger reads it from
 * nestjs-pino's AsyncLocalStorage). A hook rather than Nest middleware: on Fastify, Nest middleware
 * runs through @fastify/middie and Nest's middleware proxy, a visible share of a read's CPU time in
 * the api benchmark (docs/benchmarks.md).
 */
function requestLoggingHook(options: Options): OnRequestHook {
  const logRequest = pinoHttp(options);
  return (request, reply, done) => {
    request.raw.id = request.id;
    logRequest(request.raw, reply.raw);
    // With the response logger in the store, PinoLogger.assign (e.g. tenantId once the request is
    // authenticated) also lands on the "request completed" line.
    storage.run(new Store(request.raw.log as Logger, reply.raw.log), done);
  };
}

/**
 * Structured request logging (pino-http, with nestjs-pino's PinoLogger/Logger for Nest): every log line written while serving a request carries
 * the correlation id (taken from X-Correlation-Id or generated, and echoed in the response).
 * Log lines outside a request (boot, shutdown, message handlers) come from the same root logger.
 * Modules add tenantId to the request's log context once they know it (PinoLogger.assign).
 */
export function loggingModule(settings: ServiceSettings): { module: DynamicModule; onRequest: OnRequestHook } {
  const logger = createRootLogger({
    service: settings.name,
    version: settings.version,
    level: settings.log.level,
    format: settings.log.format,
  });
  const httpLogging: Options = {
    logger,
    // Fastify already made the correlation id the request id (correlationIdOptions); every line
    // logged while serving the request carries it under this key.
    customAttributeKeys: { reqId: 'correlationId' },
    // Kubernetes probes every few seconds: logging each probe would drown real traffic.
    autoLogging: { ignore: (req: IncomingMessage) => PROBE_PATHS.has(pathOf(req)) },
    quietReqLogger: true,
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
  // No routes: requests are logged by the onRequest hook; the module still provides PinoLogger/Logger.
  const requestLogging = LoggerModule.forRoot({ pinoHttp: httpLogging, forRoutes: [] });
  return {
    module: {
      module: ServiceLoggingModule,
      global: true,
      imports: [requestLogging],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }],
      exports: [ROOT_LOGGER, requestLogging],
    },
    onRequest: requestLoggingHook(httpLogging),
  };
}
