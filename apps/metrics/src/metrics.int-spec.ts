import { startPubSubEmulator, type RunningPubSubEmulator } from '@pulse/pubsub-emulator';
import { describeServiceLifecycle } from '@pulse/testing';

// The metrics service consumes events at boot, so it gets a Pub/Sub to talk to.
let emulator: RunningPubSubEmulator;

beforeAll(async () => {
  emulator = await startPubSubEmulator({ port: 0 });
});

afterAll(async () => {
  await emulator?.stop();
});

describeServiceLifecycle({
  service: 'metrics',
  databaseCheck: 'postgres',
  extraEnv: () => ({ PULSE_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'), PUBSUB_EMULATOR_HOST: emulator.address }),
});
