import { ingestionRequestedV1 } from '@pulse/contracts';
import { createPubSubClient, EventPublisher } from '@pulse/messaging';
import { importObjectKey } from '@pulse/object-storage';
import { waitFor, type StartedProcess } from '@pulse/testing';
import type { PubSub } from '@google-cloud/pubsub';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { IngestionUnderTest, type SeededTenant } from '../ingestion.int-kit';

// A file that turns out to be bad as a whole only after its first batches were staged (an invalid byte
// past the encoding sample, an unclosed quote near the end) fails its import, never the service: the
// built ingestion service, as its own process, consumes ingestion.requested.v1 for such files and must
// end each import `failed` with the parser's code, keep running, and load the next file as usual.

/** `rows` good customers (about 22 bytes each: 5000 rows are past the 64 KiB encoding sample), then `tail`. */
function customersThen(rows: number, tail: Buffer): Buffer {
  const lines = ['external_id,name'];
  for (let i = 1; i <= rows; i += 1) lines.push(`C${String(i).padStart(6, '0')},Customer ${i}`);
  return Buffer.concat([Buffer.from(`${lines.join('\n')}\n`), tail]);
}

describe('a file bad as a whole after its first batches were staged (the built ingestion process)', () => {
  let ingestion: IngestionUnderTest;
  let service: StartedProcess | undefined;
  let pubsub: PubSub;
  let tenant: SeededTenant;

  beforeAll(async () => {
    ingestion = await IngestionUnderTest.start();
    pubsub = createPubSubClient({ projectId: 'pulse-local', emulatorHost: ingestion.emulator.address });
    tenant = await ingestion.seedTenant('bad-file');
    service = await ingestion.startBuiltService();
  }, 120_000);

  afterAll(async () => {
    await service?.stop('SIGTERM', { killAfterMs: 10_000 });
    await pubsub?.close();
    await ingestion?.stop();
  });

  /** Stores the file, publishes its ingestion.requested.v1 and waits for the import to finish (or the process to die). */
  async function importThroughService(content: Buffer): Promise<Record<string, unknown>> {
    const running = service as StartedProcess;
    const key = importObjectKey(tenant.tenantId, randomUUID(), 'upload.csv');
    const stored = await ingestion.storage.put(key, Readable.from([content]));
    const importId = randomUUID();
    await ingestion.rows(tenant, `INSERT INTO imports (id, entity, status, mode, format, object_uri, options) VALUES ($1, 'customers', 'queued', 'upsert', 'csv', $2, $3)`, [
      importId,
      stored.uri,
      JSON.stringify({ onUnknownReference: 'reject', maxRejectedShare: 0.1 }),
    ]);
    await new EventPublisher(pubsub, { autoCreate: true }).publish(
      ingestionRequestedV1,
      { importId, entity: 'customers', origin: { kind: 'upload', objectUri: stored.uri, format: 'csv' }, mode: 'upsert' },
      { tenantId: tenant.tenantId, correlationId: 'bad-file-test' },
    );
    // A process that dies fails the test at once, with its last lines.
    const died = running.exited.then(({ code, signal }) => {
      throw new Error(`the ingestion process exited (code ${code}, signal ${signal}); its last output:\n${running.lines.slice(-15).join('\n')}`);
    });
    await Promise.race([
      died,
      waitFor(
        async () => {
          const [row] = await ingestion.rows(tenant, 'SELECT status FROM imports WHERE id = $1', [importId]);
          return ['succeeded', 'partially_succeeded', 'failed'].includes(String(row?.['status']));
        },
        { timeoutMs: 60_000, intervalMs: 200, description: `import ${importId} to finish` },
      ),
    ]);
    // The staging table goes right after the outcome commits.
    const stagingDropped = async () =>
      (await ingestion.rows(tenant, `SELECT to_regclass('import_staging_' || replace($1::text, '-', '')) IS NULL AS dropped`, [importId]))[0]?.['dropped'] === true;
    await waitFor(stagingDropped, { timeoutMs: 10_000, description: `the staging table of ${importId} to be dropped` });
    const [record] = await ingestion.rows(tenant, 'SELECT status, error_code, error, rows_loaded::int FROM imports WHERE id = $1', [importId]);
    // The service's connections went back to its pool without a transaction (or a COPY) left open.
    const [sessions] = await ingestion.rows(
      tenant,
      `SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (state LIKE 'idle in transaction%' OR query LIKE 'COPY%' AND state = 'active')`,
    );
    return { ...record, openTransactions: sessions?.['open'] };
  }

  const customerCount = async () => (await ingestion.rows<{ n: number }>(tenant, 'SELECT count(*)::int AS n FROM customers'))[0]?.n;

  it('an invalid UTF-8 byte after 5000 good rows (past the 64 KiB sample): failed invalid_encoding naming the line, nothing loaded, the process still running', async () => {
    const record = await importThroughService(customersThen(5000, Buffer.from([0x43, 0x39, 0x2c, 0x46, 0x72, 0x61, 0x6e, 0xe7, 0x61, 0x0a])));
    expect(record).toMatchObject({ status: 'failed', error_code: 'invalid_encoding', rows_loaded: 0, openTransactions: 0 });
    expect(String(record['error'])).toContain('line 5002');
    expect(await customerCount()).toBe(0);
  }, 90_000);

  it('an unclosed quote after 5000 good rows: failed malformed_csv naming the line, nothing loaded, the process still running', async () => {
    const record = await importThroughService(customersThen(5000, Buffer.from('C9,"Unclosed name\nC10,Ten\n')));
    expect(record).toMatchObject({ status: 'failed', error_code: 'malformed_csv', rows_loaded: 0, openTransactions: 0 });
    // The record whose quote opens (header = line 1, 5000 rows), not where the reader gave up.
    expect(String(record['error'])).toContain('the record on line 5002 opens a quote (its field 2) that is never closed');
    expect(await customerCount()).toBe(0);
  }, 90_000);

  it('the next file of the same tenant loads as usual on the same process', async () => {
    const record = await importThroughService(customersThen(1500, Buffer.alloc(0)));
    expect(record).toMatchObject({ status: 'succeeded', error_code: null, rows_loaded: 1500, openTransactions: 0 });
    expect(await customerCount()).toBe(1500);
  }, 90_000);
});
