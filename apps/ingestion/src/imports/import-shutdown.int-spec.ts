import type { PubSub } from '@google-cloud/pubsub';
import { ingestionRequestedV1 } from '@pulse/contracts';
import { createPubSubClient, EventPublisher } from '@pulse/messaging';
import { importObjectKey } from '@pulse/object-storage';
import { waitFor, withClient, type StartedProcess } from '@pulse/testing';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { IngestionUnderTest, type SeededTenant } from '../ingestion.int-kit';

// A deploy or a drained node sends the ingestion service SIGTERM while an import of millions of rows is
// under way. The service does not wait for it (it used to, up to its 10 s shutdown budget, then exited
// 1): the import is interrupted between staging windows or by cancelling its final transaction's
// statement, its request is delivered again, and it resumes from its last committed window.
// The built service as its own process, as deployed; the in-process loader of this kit (same control
// plane, storage and tenant) is the replica the request goes to next.

const ROWS = 200_000;

function customersCsv(rows: number): string {
  const lines = ['external_id,name,segment'];
  for (let i = 1; i <= rows; i++) lines.push(`C${String(i).padStart(7, '0')},Customer ${i},${i % 3 === 0 ? 'enterprise' : 'smb'}`);
  return `${lines.join('\n')}\n`;
}

describe('SIGTERM while an import is under way (the built ingestion service)', () => {
  let ingestion: IngestionUnderTest;
  let pubsub: PubSub;
  let service: StartedProcess | undefined;

  beforeAll(async () => {
    ingestion = await IngestionUnderTest.start();
    pubsub = createPubSubClient({ projectId: 'pulse-local', emulatorHost: ingestion.emulator.address });
  }, 120_000);

  afterEach(async () => {
    await service?.stop('SIGKILL');
    service = undefined;
  });

  afterAll(async () => {
    await pubsub?.close();
    await ingestion?.stop();
  });

  /** Records a queued import of `content`, as the api does before it publishes the request. */
  async function queueImport(tenant: SeededTenant, entity: 'customers' | 'orders', content: string): Promise<{ importId: string; objectUri: string }> {
    const stored = await ingestion.storage.put(importObjectKey(tenant.tenantId, randomUUID(), 'upload.csv'), Readable.from([content]));
    const importId = randomUUID();
    await ingestion.rows(tenant, `INSERT INTO imports (id, entity, status, mode, format, object_uri) VALUES ($1, $2, 'queued', 'upsert', 'csv', $3)`, [importId, entity, stored.uri]);
    return { importId, objectUri: stored.uri };
  }

  /** A queued import of `content` and its ingestion.requested.v1. */
  async function requestImport(tenant: SeededTenant, entity: 'customers' | 'orders', content: string): Promise<string> {
    const { importId, objectUri } = await queueImport(tenant, entity, content);
    const stored = { uri: objectUri };
    await new EventPublisher(pubsub, { autoCreate: true }).publish(
      ingestionRequestedV1,
      { importId, entity, origin: { kind: 'upload', objectUri: stored.uri, format: 'csv' }, mode: 'upsert' },
      { tenantId: tenant.tenantId, correlationId: `shutdown-${importId}` },
    );
    return importId;
  }

  /** SIGTERM; resolves with the exit code and how long the process took to exit. */
  async function terminate(started: StartedProcess): Promise<{ code: number | null; ms: number }> {
    const sent = Date.now();
    process.kill(started.pid as number, 'SIGTERM');
    const { code } = await started.exited;
    return { code, ms: Date.now() - sent };
  }

  const importRecord = async (tenant: SeededTenant, importId: string) =>
    (await ingestion.rows<{ status: string; records_read: number | null; dropped: unknown }>(
      tenant,
      `SELECT status, (checkpoint->'staging'->>'recordsRead')::int AS records_read, checkpoint->'droppedForeignKeys' AS dropped FROM imports WHERE id = $1`,
      [importId],
    ))[0];

  it('stops staging at once, exits 0, and the import resumes from its last committed window to every row', async () => {
    const tenant = await ingestion.seedTenant('sigterm-staging');
    service = await ingestion.startBuiltService({ env: { INGESTION_CHECKPOINT_ROWS: '5000', INGESTION_BATCH_ROWS: '500' } });
    const importId = await requestImport(tenant, 'customers', customersCsv(ROWS));
    await waitFor(async () => ((await importRecord(tenant, importId))?.records_read ?? 0) > 0, { description: 'the first staging window to commit', intervalMs: 20, timeoutMs: 30_000 });

    const exit = await terminate(service);

    expect(exit.code).toBe(0);
    // The shutdown budget is 10 s; the import alone takes longer than that here.
    expect(exit.ms).toBeLessThan(9_000);
    expect(service.lines.some((line) => line.includes('interrupting imports under way'))).toBe(true);
    const interrupted = await importRecord(tenant, importId);
    expect(interrupted?.status).toBe('running');
    expect(interrupted?.records_read).toBeGreaterThan(0);
    expect(interrupted?.records_read).toBeLessThan(ROWS);
    expect(await ingestion.rows(tenant, 'SELECT count(*)::int AS n FROM customers')).toEqual([{ n: 0 }]);

    // The redelivery, on another replica.
    const resumed = await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId });
    expect(resumed).toMatchObject({ status: 'succeeded', rowsReceived: ROWS, rowsLoaded: ROWS, rowsRejected: 0 });
    expect(await ingestion.rows(tenant, `SELECT count(*)::int AS n, count(DISTINCT external_id)::int AS keys, min(external_id) AS first, max(external_id) AS last FROM customers`)).toEqual([
      { n: ROWS, keys: ROWS, first: 'C0000001', last: `C${String(ROWS).padStart(7, '0')}` },
    ]);
  }, 120_000);

  it("cancels the final transaction's statement: nothing applied, the foreign keys it dropped back, and the next run loads the file", async () => {
    const tenant = await ingestion.seedTenant('sigterm-final');
    await ingestion.importFile(tenant, { entity: 'customers', content: 'external_id\nc1\nc2' });
    service = await ingestion.startBuiltService({ env: { INGESTION_BULK_LOAD_MIN_ROWS: '1' } });

    await withClient(tenant.databaseUrl, async (holder) => {
      // Holds the final transaction at its first step (ANALYZE of the tables it reads), after the drop of
      // orders' foreign key: what a long insert would be.
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE customer_aliases IN SHARE UPDATE EXCLUSIVE MODE');
      const importId = await requestImport(tenant, 'orders', 'external_id,customer_external_id,ordered_at\no1,c1,2026-01-01T00:00:00Z\no2,c2,2026-01-02T00:00:00Z');
      await waitFor(async () => (await importRecord(tenant, importId))?.dropped !== null, { description: "orders' foreign key to be dropped", timeoutMs: 30_000 });

      const exit = await terminate(service as StartedProcess);
      await holder.query('COMMIT');

      expect(exit).toMatchObject({ code: 0 });
      expect(exit.ms).toBeLessThan(9_000);
      expect(await importRecord(tenant, importId)).toMatchObject({ status: 'running', dropped: null });
      expect(await ingestion.rows(tenant, `SELECT conname FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'`)).toEqual([{ conname: 'orders_customer_id_fkey' }]);
      expect(await ingestion.rows(tenant, 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 0 }]);

      const resumed = await ingestion.loader.run({ tenant: tenant.context, timezone: 'UTC', importId });
      expect(resumed).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
    });
  }, 120_000);

  it('runs at start an upload left unfinished whose request is gone (the local emulator keeps nothing across a restart)', async () => {
    const tenant = await ingestion.seedTenant('boot-resume');
    // Interrupted and never delivered again: no ingestion.requested.v1 for it anywhere.
    const { importId } = await queueImport(tenant, 'customers', customersCsv(1_000));
    await ingestion.rows(tenant, `UPDATE imports SET status = 'running', started_at = now() WHERE id = $1`, [importId]);

    service = await ingestion.startBuiltService();

    await waitFor(async () => (await importRecord(tenant, importId))?.status === 'succeeded', { description: 'the unfinished upload to be run at start', timeoutMs: 30_000 });
    expect(await ingestion.rows(tenant, 'SELECT count(*)::int AS n FROM customers')).toEqual([{ n: 1_000 }]);
  }, 120_000);
});
