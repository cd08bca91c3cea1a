import { messagingEnvShape, postgresUrl, serviceEnvShape, toMessagingSettings, toServiceSettings } from '@pulse/config';
import { z } from 'zod';

/** The api service's environment, validated at boot, and the config tree built from it. */
export const apiConfigSchema = z
  .object({
    ...serviceEnvShape(3000),
    DATABASE_URL: postgresUrl(),
    ...messagingEnvShape(),
  })
  .transform((env) => ({
    service: toServiceSettings('api', env),
    messaging: toMessagingSettings(env),
    database: { url: env.DATABASE_URL },
  }));

export type ApiConfig = z.output<typeof apiConfigSchema>;

export const API_CONFIG = Symbol('API_CONFIG');
