import { describeServiceLifecycle } from '@pulse/testing';

describeServiceLifecycle({
  service: 'api',
  databaseCheck: 'postgres',
  extraEnv: { PULSE_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') },
});
