import { tenantUpdatedV1 } from '@pulse/contracts';
import { createPubSubClient, EventPublisher } from '@pulse/messaging';
import { startPubSubEmulator, type RunningPubSubEmulator } from '@pulse/pubsub-emulator';
import { waitFor } from '@pulse/testing';
import type { PubSub } from '@google-cloud/pubsub';
import { AsyncLocalStorage } from 'node:async_hooks';
import { ApiUnderTest } from '../api.int-kit';

describe('tenant cache invalidation (real PostgreSQL, Pub/Sub emulator)', () => {
  let emulator: RunningPubSubEmulator;
  let pubsub: PubSub;
  let api: ApiUnderTest;
  // On Node 20 the first run of any AsyncLocalStorage turns on promise hooks for the rest of the process,
  // a cost on every request (service-runtime's request-log.ts): the api must never start one. (Jest's
  // runner starts its own, for each test and hook: those calls are left out.)
  const storageStarts: string[] = [];
  for (const method of ['run', 'enterWith'] as const) {
    const original = AsyncLocalStorage.prototype[method] as (...args: unknown[]) => unknown;
    jest.spyOn(AsyncLocalStorage.prototype, method).mockImplementation(function (this: AsyncLocalStorage<unknown>, ...args: unknown[]) {
      const caller = new Error(`AsyncLocalStorage.${method}`).stack ?? '';
      if (!caller.includes('/node_modules/jest-circus/')) storageStarts.push(caller);
      return original.apply(this, args);
    } as never);
  }

  beforeAll(async () => {
    emulator = await startPubSubEmulator({ port: 0 });
    pubsub = createPubSubClient({ projectId: 'pulse-local', emulatorHost: emulator.address });
    // A cache long enough that only the event can explain the key being refused.
    api = await ApiUnderTest.start({ PUBSUB_EMULATOR_HOST: emulator.address, PUBSUB_PROJECT_ID: 'pulse-local', TENANT_CACHE_TTL_MS: '600000' }, { consumeEvents: true });
  });

  afterAll(async () => {
    await api?.stop();
    await pubsub?.close();
    await emulator?.stop();
  });

  it('keeps serving a cached key until tenant.updated.v1 arrives, then refuses the revoked key, never binding an AsyncLocalStorage', async () => {
    const tenant = await api.seedTenant('cached');
    await api.tenantSql(tenant, `INSERT INTO customers (external_id, name) VALUES ('c1', 'One')`);
    expect((await api.get('/v1/customers/c1', { key: tenant.apiKey })).status).toBe(200);
    expect((await api.get('/v1/customers/nobody', { key: tenant.apiKey })).status).toBe(404);

    await api.controlPlaneSql('UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1', [tenant.tenantId]);
    expect((await api.get('/v1/customers/c1', { key: tenant.apiKey })).status).toBe(200); // still cached

    await new EventPublisher(pubsub, { autoCreate: true }).publish(
      tenantUpdatedV1,
      { slug: tenant.slug, status: 'active', plan: 'standard', hostnames: [], changed: ['apiKeys'] },
      { tenantId: tenant.tenantId, correlationId: 'revocation-test' },
    );
    await waitFor(async () => (await api.get('/v1/customers/c1', { key: tenant.apiKey })).status === 401, {
      timeoutMs: 15_000,
      description: 'the revoked key to be refused once the event is handled',
    });
    expect(storageStarts).toEqual([]);
  });
});
