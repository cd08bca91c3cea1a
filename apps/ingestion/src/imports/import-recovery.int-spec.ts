import { ingestionRequestedV1, tenantUpdatedV1 } from '@pulse/contracts';
import { createPubSubClient, EventPublisher } from '@pulse/messaging';
import { importObjectKey } from '@pulse/object-storage';
import { waitFor, withClient } from '@pulse/testing';
import type { PubSub } from '@google-cloud/pubsub';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Warehouse } from '@pulse/warehouse';
import { IngestionUnderTest, type SeededTenant } from '../ingestion.int-kit';
import { IMPORT_WAREHOUSE } from './ingestion-dependencies';

/** 1000 customers; line 51 (record 50) has a date that cannot be read, so exactly one row is rejected. */
function customersFile(nameOf: (i: number) => string): string {
  const lines = ['external_id,name,customer_since'];
  for (let i = 1; i <= 1000; i += 1) lines.push(`c${i},${nameOf(i)},${i === 50 ? 'not-a-date' : '2025-01-15'}`);
  return `${lines.join('\n')}\n`;
}

class SimulatedCrash extends Error {}

describe('crash safety and redelivery (real PostgreSQL, Pub/Sub emulator)', () => {
  let ingestion: IngestionUnderTest;
  let pubsub: PubSub;

  beforeAll(async () => {
    // Small windows so that a 1000-row file has ten checkpoints.
    ingestion = await IngestionUnderTest.start({ INGESTION_CHECKPOINT_ROWS: '100', INGESTION_BATCH_ROWS: '25' }, { consumeEvents: true });
    pubsub = createPubSubClient({ projectId: 'pulse-local', emulatorHost: ingestion.emulator.address });
  }, 120_000);

  afterAll(async () => {
    await pubsub?.close();
    await ingestion?.stop();
  });

  const customerRows = (tenant: SeededTenant) =>
    ingestion.rows<{ external_id: string; name: string; customer_since: string }>(
      tenant,
      `SELECT external_id, name, to_char(customer_since, 'YYYY-MM-DD') AS customer_since FROM customers ORDER BY id`,
    );

  /** Two customers uploaded and recorded as a queued import, as the api leaves them for ingestion.requested.v1. */
  async function queuedUpload(tenant: SeededTenant): Promise<{ objectUri: string; importId: string }> {
    const objectUri = await ingestion.upload(tenant, 'external_id,name\nc1,One\nc2,Two\n');
    const importId = await ingestion.loader.createImport(tenant.context, {
      entity: 'customers',
      format: 'csv',
      objectUri,
      mode: 'upsert',
      options: { onUnknownReference: 'reject', maxRejectedShare: 0.1 },
    });
    return { objectUri, importId };
  }

  it('a crash mid-import resumes from the checkpoint (already-staged records are skipped) and ends with the same rows as a clean run', async () => {
    const original = customersFile((i) => `Customer ${i}`);
    const clean = await ingestion.seedTenant('clean');
    const cleanOutcome = await ingestion.importFile(clean, { entity: 'customers', content: original });
    expect(cleanOutcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 1000, rowsLoaded: 999, rowsRejected: 1 });

    const tenant = await ingestion.seedTenant('crash');
    const key = importObjectKey(tenant.tenantId, randomUUID(), 'upload.csv');
    const stored = await ingestion.storage.put(key, Readable.from([original]));
    const importId = await ingestion.loader.createImport(tenant.context, {
      entity: 'customers',
      format: 'csv',
      objectUri: stored.uri,
      mode: 'upsert',
      options: { onUnknownReference: 'reject', maxRejectedShare: 0.1 },
    });
    const crashAt300 = (checkpoint: { recordsRead: number }) => {
      if (checkpoint.recordsRead >= 300) throw new SimulatedCrash('worker killed');
    };
    await expect(ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId, onCheckpoint: crashAt300 })).rejects.toBeInstanceOf(SimulatedCrash);

    // Three windows committed: 300 records read, 299 staged, the bad row recorded; nothing applied yet.
    const [midway] = await ingestion.rows(tenant, `SELECT status, rows_received, checkpoint->'staging' AS staging FROM imports WHERE id = $1`, [importId]);
    expect(midway).toMatchObject({ status: 'running', rows_received: '300', staging: { recordsRead: 300, stagedRows: 299, parseRejected: 1 } });
    expect(await customerRows(tenant)).toEqual([]);

    // Proof that the restart skips what was staged instead of reading it again: the first 300 records
    // now say something else in the file, which only a re-read would pick up.
    await ingestion.storage.put(key, Readable.from([customersFile((i) => (i <= 300 ? `CHANGED ${i}` : `Customer ${i}`))]));

    const resumed = await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId });
    expect(resumed).toMatchObject({ status: 'partially_succeeded', rowsReceived: 1000, rowsLoaded: 999, rowsRejected: 1, ranNow: true });
    expect(await customerRows(tenant)).toEqual(await customerRows(clean));
    expect(await ingestion.rows(tenant, 'SELECT line_number::int AS line, reason_code FROM import_errors WHERE import_id = $1', [importId])).toEqual([
      { line: 51, reason_code: 'invalid_date' },
    ]);
    expect(await ingestion.rows(tenant, `SELECT to_regclass('import_staging_${importId.replace(/-/g, '')}') AS staging`)).toEqual([{ staging: null }]);
  });

  it('loads an import once when ingestion.requested.v1 is delivered twice', async () => {
    const tenant = await ingestion.seedTenant('redelivery');
    const { objectUri, importId } = await queuedUpload(tenant);
    const publisher = new EventPublisher(pubsub, { autoCreate: true });
    const eventId = randomUUID();
    const payload = { importId, entity: 'customers' as const, origin: { kind: 'upload' as const, objectUri, format: 'csv' as const }, mode: 'upsert' as const };
    await publisher.publish(ingestionRequestedV1, payload, { tenantId: tenant.tenantId, correlationId: 'redelivery-test', eventId });
    await waitFor(async () => (await ingestion.rows(tenant, `SELECT 1 FROM imports WHERE id = $1 AND status = 'succeeded'`, [importId])).length === 1, {
      timeoutMs: 30_000,
      description: 'the import to succeed',
    });
    const [first] = await ingestion.rows(tenant, 'SELECT finished_at FROM imports WHERE id = $1', [importId]);

    // The same event again (a redelivery, or the outbox relay re-publishing it).
    await publisher.publish(ingestionRequestedV1, payload, { tenantId: tenant.tenantId, correlationId: 'redelivery-test', eventId });
    await waitFor(async () => (await ingestion.rows(tenant, `SELECT 1 FROM processed_events WHERE event_id = $1`, [eventId])).length === 1, {
      timeoutMs: 30_000,
      description: 'the delivery to be recorded',
    });
    // Give the second delivery time to be handled, then check it changed nothing.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await ingestion.rows(tenant, 'SELECT finished_at FROM imports WHERE id = $1', [importId])).toEqual([first]);
    expect(await ingestion.rows(tenant, `SELECT topic FROM outbox WHERE payload->>'importId' = $1`, [importId])).toEqual([{ topic: 'ingestion.completed.v1' }]);
    expect((await ingestion.rows(tenant, 'SELECT external_id FROM customers ORDER BY 1')).map((r) => r['external_id'])).toEqual(['c1', 'c2']);

    // Calling the loader again directly is just as harmless.
    const again = await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId, eventId: randomUUID() });
    expect(again).toMatchObject({ status: 'succeeded', rowsLoaded: 2, ranNow: false });
  });

  it('an import requested while its tenant is suspended stays queued, and runs once tenant.updated.v1 says the tenant is active again', async () => {
    const tenant = await ingestion.seedTenant('suspended');
    const setStatus = (status: string) =>
      withClient(ingestion.controlPlane.url, (client) => client.query('UPDATE tenants SET status = $1 WHERE id = $2', [status, tenant.tenantId]));
    const { objectUri, importId } = await queuedUpload(tenant);
    const importStatus = async () => (await ingestion.rows<{ status: string }>(tenant, 'SELECT status FROM imports WHERE id = $1', [importId]))[0]?.status;
    const publisher = new EventPublisher(pubsub, { autoCreate: true });
    const tenantUpdated = (status: 'active' | 'suspended', changed: string[]) =>
      publisher.publish(
        tenantUpdatedV1,
        { slug: tenant.slug, status, plan: 'standard', hostnames: [], changed },
        { tenantId: tenant.tenantId, correlationId: 'suspension-test', eventId: randomUUID() },
      );

    await setStatus('suspended');
    const payload = { importId, entity: 'customers' as const, origin: { kind: 'upload' as const, objectUri, format: 'csv' as const }, mode: 'upsert' as const };
    await publisher.publish(ingestionRequestedV1, payload, { tenantId: tenant.tenantId, correlationId: 'suspension-test', eventId: randomUUID() });
    // A tenant.updated.v1 that does not make the tenant writable runs nothing either.
    await tenantUpdated('suspended', ['status']);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await importStatus()).toBe('queued');
    expect(await ingestion.rows(tenant, 'SELECT external_id FROM customers')).toEqual([]);

    await setStatus('active');
    await tenantUpdated('active', ['status']);
    await waitFor(async () => (await importStatus()) === 'succeeded', { timeoutMs: 30_000, description: 'the waiting import to succeed after the reactivation' });
    expect((await ingestion.rows(tenant, 'SELECT external_id FROM customers ORDER BY 1')).map((r) => r['external_id'])).toEqual(['c1', 'c2']);
  });

  it("fails at once, letting go of its connection and locks, when the warehouse's staged file cannot be written; the redelivery loads the rows", async () => {
    const tenant = await ingestion.seedTenant('staged-file-fails');
    const { importId } = await queuedUpload(tenant);
    const storage = ingestion.storage;
    const put = storage.put.bind(storage);
    // The staged file's key names the import (the upload's does not): refused before its body is read.
    const refused = jest.spyOn(storage, 'put').mockImplementation(async (key, body, options) => {
      if (key.includes(importId)) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return put(key, body, options);
    });
    try {
      // Before: the COPY feeding the file held the connection, and its ROLLBACK waited for ever.
      await expect(ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId })).rejects.toThrow('ENOSPC');
    } finally {
      refused.mockRestore();
    }
    expect(await ingestion.rows(tenant, 'SELECT count(*)::int AS n FROM customers')).toEqual([{ n: 0 }]);
    expect(await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId })).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
    expect(await ingestion.rows(tenant, 'SELECT external_id FROM customers ORDER BY 1')).toEqual([{ external_id: 'c1' }, { external_id: 'c2' }]);
  });

  it('drops the staging table a finished import left (its process died between COMMIT and DROP) when the next import of the tenant starts', async () => {
    const tenant = await ingestion.seedTenant('staging-left');
    const first = await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nc1,One\n' });
    // What a process that died right after the import's COMMIT leaves: its staging table, with its rows.
    const table = `import_staging_${first.importId.replace(/-/g, '')}`;
    await ingestion.rows(tenant, `CREATE UNLOGGED TABLE ${table} (line bigint, external_id text)`);
    const stagingTables = async () => (await ingestion.rows<{ relname: string }>(tenant, `SELECT relname FROM pg_class WHERE relname LIKE 'import\\_staging\\_%' AND relkind = 'r'`)).map((row) => row.relname);
    expect(await stagingTables()).toEqual([table]);

    // The table of an import another worker is staging stays: only finished imports' tables go.
    const staging = await queuedUpload(tenant);
    const inUse = `import_staging_${staging.importId.replace(/-/g, '')}`;
    await ingestion.rows(tenant, `CREATE UNLOGGED TABLE ${inUse} (line bigint, external_id text)`);

    const { importId } = await queuedUpload(tenant);
    expect(await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId })).toMatchObject({ status: 'succeeded' });
    expect(await stagingTables()).toEqual([inUse]);
  });

  it('asks metrics for another run when the warehouse gets an import\'s rows only after its completion event went out', async () => {
    const tenant = await ingestion.seedTenant('late-warehouse');
    const { importId } = await queuedUpload(tenant);
    const warehouse = ingestion.app.get<Warehouse>(IMPORT_WAREHOUSE);
    const handOver = jest.spyOn(warehouse, 'appendStaged').mockRejectedValueOnce(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    try {
      // Committed, completion event out, hand-over failed: the run fails so that the request comes again.
      await expect(ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId })).rejects.toThrow('ENOSPC');
    } finally {
      handOver.mockRestore();
    }
    const events = () => ingestion.rows<{ topic: string; payload: Record<string, unknown> }>(tenant, 'SELECT topic, payload FROM outbox ORDER BY id');
    expect((await events()).map((event) => event.topic)).toEqual(['ingestion.completed.v1']);

    // The redelivery hands the loads over. Before: nothing asked for a run, so the KPIs went without
    // these rows until some other import came.
    await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId });
    const [, request] = await events();
    expect(request).toMatchObject({ topic: 'metrics.refresh-requested.v1', payload: { runId: expect.any(String), reason: 'ingestion' } });
    expect(await ingestion.rows(tenant, `SELECT id FROM imports WHERE checkpoint ? 'warehouse'`)).toEqual([]);
    // When the warehouse got them, which metrics compares with its live run (productsTouchedSince).
    const [handedOver] = await ingestion.rows<{ after_finish: boolean }>(tenant, `SELECT (checkpoint ->> 'handedOverAt')::timestamptz > finished_at AS after_finish FROM imports WHERE id = $1`, [importId]);
    expect(handedOver).toEqual({ after_finish: true });

    // Another redelivery: nothing left to hand over, nothing asked.
    await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId });
    expect(await events()).toHaveLength(2);
  });

  it('asks metrics for another run when the outbox sweeper published the completion event while the rows were being handed over', async () => {
    const tenant = await ingestion.seedTenant('slow-warehouse');
    const { importId } = await queuedUpload(tenant);
    const warehouse = ingestion.app.get<Warehouse>(IMPORT_WAREHOUSE);
    const appendStaged = warehouse.appendStaged.bind(warehouse);
    // A slow hand-over (a BigQuery load job and MERGE) that the sweeper overtakes: it publishes the
    // committed completion event meanwhile.
    const handOver = jest.spyOn(warehouse, 'appendStaged').mockImplementation(async (load) => {
      await ingestion.rows(tenant, `UPDATE outbox SET published_at = now() WHERE topic = 'ingestion.completed.v1' AND payload->>'importId' = $1`, [importId]);
      return appendStaged(load);
    });
    try {
      await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId });
    } finally {
      handOver.mockRestore();
    }
    const events = await ingestion.rows<{ topic: string; payload: Record<string, unknown> }>(tenant, 'SELECT topic, payload FROM outbox ORDER BY id');
    expect(events.map((event) => event.topic)).toEqual(['ingestion.completed.v1', 'metrics.refresh-requested.v1']);

    // Handed over before the event went out (the usual case): nothing more asked.
    const second = await queuedUpload(tenant);
    await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId: second.importId });
    expect((await ingestion.rows(tenant, 'SELECT topic FROM outbox ORDER BY id')).map((event) => (event as { topic: string }).topic)).toEqual([
      'ingestion.completed.v1',
      'metrics.refresh-requested.v1',
      'ingestion.completed.v1',
    ]);
  });
});

describe('an import while Pub/Sub is down', () => {
  let ingestion: IngestionUnderTest;

  beforeAll(async () => {
    ingestion = await IngestionUnderTest.start();
  }, 120_000);

  afterAll(async () => {
    await ingestion?.stop();
  });

  it('ends without waiting out the failing publish of its ingestion.completed event, which stays in the tenant outbox', async () => {
    const tenant = await ingestion.seedTenant('pubsub-down');
    await ingestion.emulator.stop();

    const started = Date.now();
    const outcome = await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id,name\nc1,One\n' });

    // A publish to an unreachable Pub/Sub fails only after about 20 s (a minute for a topic not used
    // before); the import (and the message that asked for it, and a shutdown waiting for it) must not
    // wait. 15 s leaves room for a loaded machine and is still short of the publish's failure.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 1 });
    const outbox = await ingestion.rows<{ topic: string; published: boolean }>(tenant, `SELECT topic, published_at IS NOT NULL AS published FROM outbox WHERE payload->>'importId' = $1`, [outcome.importId]);
    expect(outbox).toEqual([{ topic: 'ingestion.completed.v1', published: false }]);
  }, 60_000);
});
