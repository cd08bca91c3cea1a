import { Module, type DynamicModule } from '@nestjs/common';
import type { ServiceSettings } from '@pulse/config';
import { CORRELATION_ID_HEADER, correlationIdFrom, createRootLogger } from '@pulse/logging';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { LoggerModule } from 'nestjs-pino';
import { requestLoggingHooks } from './request-log';

/** The service's root pino logger, for components that log outside a request (consumers, relays). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

@Module({})
class ServiceLoggingModule {}

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
 * Structured logging with pino, through nestjs-pino's PinoLogger/Logger for Nest. Each request gets a
 * logger of its own, tagged with its correlation id (taken from X-Correlation-Id or generated, and echoed
 * in the response), that code serving it logs through (requestLogger), and one completion line
 * (request-log.ts). Modules add tenantId to it once they know it (assignRequestLogFields).
 * Log lines outside a request (boot, shutdown, message handlers) come from the same root logger.
 */
export function loggingModule(settings: ServiceSettings): { module: DynamicModule; root: Logger; hooks: ReturnType<typeof requestLoggingHooks> } {
  const logger = createRootLogger({
    service: settings.name,
    version: settings.version,
    level: settings.log.level,
    format: settings.log.format,
  });
  // No routes: requests are logged by the Fastify hooks; the module provides PinoLogger/Logger.
  const nestLogging = LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] });
  return {
    module: {
      module: ServiceLoggingModule,
      global: true,
      imports: [nestLogging],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }],
      exports: [ROOT_LOGGER, nestLogging],
    },
    root: logger,
    hooks: requestLoggingHooks(logger),
  };
}
