import { z } from 'zod';
import { logFormat, logLevel, nodeEnv, port, positiveInt } from './env-fields';

/** What every service needs to run: identity, HTTP listener, logging, shutdown budget. */
export interface ServiceSettings {
  name: string;
  version: string;
  environment: 'development' | 'test' | 'production';
  http: { host: string; port: number };
  log: { level: string; format: 'json' | 'pretty' };
  /** How long a SIGTERM may take (drain requests, close pools) before the process is forced out. */
  shutdownTimeoutMs: number;
}

/** The environment variables behind ServiceSettings, shared by every service schema. */
export function serviceEnvShape(defaultPort: number) {
  return {
    NODE_ENV: nodeEnv,
    SERVICE_VERSION: z.string().min(1).default('dev'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: port(defaultPort),
    LOG_LEVEL: logLevel,
    LOG_FORMAT: logFormat,
    SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
  };
}

type ServiceEnv = z.output<z.ZodObject<ReturnType<typeof serviceEnvShape>>>;

export function toServiceSettings(name: string, env: ServiceEnv): ServiceSettings {
  return {
    name,
    version: env.SERVICE_VERSION,
    environment: env.NODE_ENV,
    http: { host: env.HOST, port: env.PORT },
    // Pretty output is for a developer's terminal only; anything else gets JSON for Cloud Logging.
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json') },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  };
}
