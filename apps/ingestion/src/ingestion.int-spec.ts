import { startPubSubEmulator, type RunningPubSubEmulator } from '@pulse/pubsub-emulator';
import { describeServiceLifecycle } from '@pulse/testing';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The ingestion service consumes ingestion.requested.v1 at boot, so it gets a Pub/Sub to talk to, and
// folders of its own for object storage and the warehouse.
let emulator: RunningPubSubEmulator;

beforeAll(async () => {
  emulator = await startPubSubEmulator({ port: 0 });
});

afterAll(async () => {
  await emulator?.stop();
});

describeServiceLifecycle({
  service: 'ingestion',
  databaseCheck: 'postgres',
  extraEnv: () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'pulse-ingestion-lifecycle-'));
    return {
      PULSE_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
      PUBSUB_EMULATOR_HOST: emulator.address,
      PULSE_STORAGE_DIR: path.join(folder, 'storage'),
      PULSE_WAREHOUSE_DIR: path.join(folder, 'warehouse'),
    };
  },
});
