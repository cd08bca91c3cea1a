import { messagingEnvShape, postgresUrl, serviceEnvShape, toMessagingSettings, toServiceSettings } from '@pulse/config';
import { z } from 'zod';

/** The ingestion service's environment, validated at boot, and the config tree built from it. */
export const ingestionConfigSchema = z
  .object({
    ...serviceEnvShape(3002),
    DATABASE_URL: postgresUrl(),
    ...messagingEnvShape(),
  })
  .transform((env) => ({
    service: toServiceSettings('ingestion', env),
    messaging: toMessagingSettings(env),
    database: { url: env.DATABASE_URL },
  }));

export type IngestionConfig = z.output<typeof ingestionConfigSchema>;

export const INGESTION_CONFIG = Symbol('INGESTION_CONFIG');
