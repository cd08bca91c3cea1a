import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceSettings } from '@pulse/config';
import { CORRELATION_ID_HEADER, correlationIdFrom, createRootLogger } from '@pulse/logging';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';

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

/** Echoes the correlation id on every response, errors included, so callers can quote it. */
export function echoCorrelationId(request: { id: string }, reply: { header(name: string, value: string): unknown }, done: () => void): void {
  reply.header(CORRELATION_ID_HEADER, request.id);
  done();
}

/**
 * Structured request logging via nestjs-pino: every log line written while serving a request carries
 * the correlation id (taken from X-Correlation-Id or generated, and echoed in the response).
 * Log lines outside a request (boot, shutdown, message handlers) come from the same root logger.
 * Modules add tenantId to the request's log context once they know it (PinoLogger.assign).
 */
export function loggingModule(settings: ServiceSettings): DynamicModule {
  const logger = createRootLogger({
    service: settings.name,
    version: settings.version,
    level: settings.log.level,
    format: settings.log.format,
  });
  const requestLogging = LoggerModule.forRoot({
    pinoHttp: {
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
    },
  });
  return {
    module: ServiceLoggingModule,
    global: true,
    imports: [requestLogging],
    providers: [{ provide: ROOT_LOGGER, useValue: logger }],
    exports: [ROOT_LOGGER, requestLogging],
  };
}
