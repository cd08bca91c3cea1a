import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigValidationError, describeConfig, loadConfig, type Environment, type ServiceSettings } from '@pulse/config';
import { maxHeaderSize } from 'node:http';
import type { z } from 'zod';
import { Logger } from 'nestjs-pino';
import { HealthModule } from './health/health.module';
import { ReadinessRegistry } from './health/readiness-registry';
import { leaveOtherMediaTypesUnread } from './http/body-media-type';
import { deferJsonBodyErrors } from './http/json-body-parser';
import { answerClientError, sendFrameworkError } from './http/framework-errors';
import { ServiceFastifyAdapter } from './http/method-not-allowed';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { correlationIdOptions, echoCorrelationId, loggingModule } from './logging/logging.module';

export interface ServiceDefinition<Schema extends z.ZodType> {
  name: string;
  configSchema: Schema;
  /** Where the service's identity, listener and logging settings sit in its config tree. */
  settings: (config: z.output<Schema>) => ServiceSettings;
  /** The composition root, built from the validated config. */
  rootModule: (config: z.output<Schema>) => DynamicModule;
  /** Attach what must run before the listener opens, e.g. event consumers (connectEventConsumers). */
  beforeListen?: (app: NestFastifyApplication) => Promise<void>;
}

/** Builds the Nest application (Fastify, pino logging, problem+json errors, health) without listening. */
export async function createServiceApp(rootModule: DynamicModule, settings: ServiceSettings): Promise<NestFastifyApplication> {
  const logging = loggingModule(settings);
  @Module({ imports: [logging.module, HealthModule.forRoot(), rootModule] })
  class ServiceModule {}

  const app = await NestFactory.create<NestFastifyApplication>(
    ServiceModule,
    new ServiceFastifyAdapter({
      // Behind the GKE load balancer: client address and protocol come from X-Forwarded-*.
      trustProxy: true,
      bodyLimit: 1_048_576,
      // Fastify's default (100) made ids of 101-255 characters unreadable (a 414 from the router). A path
      // parameter cannot be longer than the request line, which Node's parser already bounds (431 beyond
      // maxHeaderSize), so this leaves every length to the route's own schema: a 400 naming the field.
      routerOptions: { maxParamLength: maxHeaderSize },
      // Errors raised before any route runs, by the router and by Node's HTTP parser: problem+json too.
      frameworkErrors: sendFrameworkError,
      clientErrorHandler: answerClientError,
      ...correlationIdOptions,
    }),
    { bufferLogs: true },
  );
  // A malformed JSON body is a 400, and a body of another media type a 415, only after authentication:
  // the service registers MalformedBodyGuard and BodyMediaTypeGuard after its authentication guard.
  deferJsonBodyErrors(app);
  const fastify = app.getHttpAdapter().getInstance();
  leaveOtherMediaTypesUnread(fastify);
  fastify.addHook('onRequest', echoCorrelationId);
  fastify.addHook('onRequest', logging.hooks.onRequest);
  fastify.addHook('onResponse', logging.hooks.onResponse);
  fastify.addHook('onRequestAbort', logging.hooks.onRequestAbort);
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new ProblemDetailsFilter(logging.root));
  return app;
}

/**
 * SIGTERM/SIGINT: report not-ready at once, stop accepting connections, let in-flight requests finish,
 * run shutdown hooks (pools, consumers), exit 0 — or exit 1 if that takes longer than the budget.
 */
function closeOnSignals(app: NestFastifyApplication, settings: ServiceSettings): void {
  const logger = app.get(Logger);
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: draining and shutting down`, 'Shutdown');
    app.get(ReadinessRegistry).markShuttingDown();
    const forceExit = setTimeout(() => {
      logger.error(`shutdown took longer than ${settings.shutdownTimeoutMs} ms; exiting`, undefined, 'Shutdown');
      process.exit(1);
    }, settings.shutdownTimeoutMs);
    forceExit.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(error, 'Shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/** The whole of a service's main.ts: validate config (fail fast), build, listen, handle signals. */
export async function runService<Schema extends z.ZodType>(
  definition: ServiceDefinition<Schema>,
  environment?: Environment,
): Promise<void> {
  try {
    await startService(definition, environment);
  } catch (error) {
    // A service that cannot start (port taken, bad module wiring) must exit visibly, not hang.
    process.stderr.write(`${definition.name} failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}

async function startService<Schema extends z.ZodType>(
  definition: ServiceDefinition<Schema>,
  environment?: Environment,
): Promise<void> {
  let config: z.output<Schema>;
  try {
    config = loadConfig(definition.name, definition.configSchema, environment);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const settings = definition.settings(config);
  const app = await createServiceApp(definition.rootModule(config), settings);
  closeOnSignals(app, settings);
  await definition.beforeListen?.(app);
  await app.listen({ port: settings.http.port, host: settings.http.host });

  const logger = app.get(Logger);
  logger.log({ config: describeConfig(config) }, 'Configuration');
  logger.log(`${settings.name} ${settings.version} listening on http://${settings.http.host}:${settings.http.port}`, 'Bootstrap');
}
