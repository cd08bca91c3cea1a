import { describeServiceLifecycle } from '@pulse/testing';

describeServiceLifecycle({
  service: 'tenant-registry',
  databaseCheck: 'control-plane-db',
  extraEnv: {
    PULSE_OPERATOR_TOKEN: 'lifecycle-operator-token-0123456789abcdef',
    PULSE_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
  },
});
