import { messagingEnvShape, postgresUrl, serviceEnvShape, toMessagingSettings, toServiceSettings } from '@pulse/config';
import { z } from 'zod';

/** The metrics service's environment, validated at boot, and the config tree built from it. */
export const metricsConfigSchema = z
  .object({
    ...serviceEnvShape(3003),
    DATABASE_URL: postgresUrl(),
    ...messagingEnvShape(),
  })
  .transform((env) => ({
    service: toServiceSettings('metrics', env),
    messaging: toMessagingSettings(env),
    database: { url: env.DATABASE_URL },
  }));

export type MetricsConfig = z.output<typeof metricsConfigSchema>;

export const METRICS_CONFIG = Symbol('METRICS_CONFIG');
