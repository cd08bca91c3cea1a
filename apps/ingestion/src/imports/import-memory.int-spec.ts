import { ingestionRequestedV1 } from '@pulse/contracts';
import { createPubSubClient, EventPublisher } from '@pulse/messaging';
import { importObjectKey } from '@pulse/object-storage';
import { waitFor, type StartedProcess } from '@pulse/testing';
import type { PubSub } from '@google-cloud/pubsub';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { IngestionUnderTest, type SeededTenant } from '../ingestion.int-kit';

// Memory stays flat whatever the file size (issue 6): the built ingestion service, as its own process
// with a V8 heap far smaller than the file, consumes ingestion.requested.v1 for a generated file and
// loads it while its RSS is sampled. `npm test` loads the 1 GB file of the test corpus (about
// 3M rows); the 2 GB / 300 MB run of its memory target is INGEST_MEMORY_TEST_MB=2048 (docs/benchmarks.md
// has the figures).
const FILE_MB = Number(process.env['INGEST_MEMORY_TEST_MB'] ?? 1024);
// The service's own code (Nest, Google clients, DuckDB bindings) takes ~60 MB of heap before any import.
const HEAP_MB = Number(process.env['INGEST_MEMORY_TEST_HEAP_MB'] ?? 96);
const MAX_RSS_MB = Number(process.env['INGEST_MEMORY_TEST_MAX_RSS_MB'] ?? 300);

// Wide rows: the file is large in bytes with few rows, so the test proves streaming in little time.
// No delimiter characters in them: every row must be a good row.
const NOTES = 'Account notes - renewal discussed with the finance team - expansion to two more sites planned - prefers email contact - quarterly review booked.';
const HISTORY = 'Migrated from the legacy CRM in 2021 - billing contact changed twice - two support escalations in the last year (both resolved within the SLA).';

/** A customers CSV of about `megabytes`, generated while it is read (never held whole). */
function generatedCustomers(megabytes: number): { stream: Readable; rows: () => number } {
  const target = megabytes * 1024 * 1024;
  let bytes = 0;
  let rows = 0;
  const stream = new Readable({
    read() {
      if (bytes === 0) {
        const header = 'external_id,name,email,segment,plan,region,notes,history\n';
        bytes += header.length;
        this.push(header);
        return;
      }
      let chunk = '';
      while (chunk.length < 256 * 1024 && bytes + chunk.length < target) {
        rows += 1;
        chunk += `C${String(rows).padStart(9, '0')},Customer number ${rows},customer${rows}@example.com,${rows % 3 === 0 ? 'enterprise' : 'smb'},pro,region-${rows % 17},${NOTES},${HISTORY}\n`;
      }
      bytes += chunk.length;
      this.push(chunk.length > 0 ? chunk : null);
    },
  });
  return { stream, rows: () => rows };
}

function rssMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kilobytes / 1024;
}

describe(`memory stays flat: a ${FILE_MB} MB file through the ingestion process with a ${HEAP_MB} MB heap`, () => {
  let ingestion: IngestionUnderTest;
  let service: StartedProcess | undefined;
  let pubsub: PubSub;
  let tenant: SeededTenant;

  beforeAll(async () => {
    // In-process only for the control plane, the tenant and storage; the loading happens in the child.
    ingestion = await IngestionUnderTest.start();
    pubsub = createPubSubClient({ projectId: 'pulse-local', emulatorHost: ingestion.emulator.address });
    tenant = await ingestion.seedTenant('memory');
  }, 120_000);

  afterAll(async () => {
    await service?.stop('SIGTERM', { killAfterMs: 10_000 });
    await pubsub?.close();
    await ingestion?.stop();
  });

  it('loads every row while the RSS stays under the bound', async () => {
    const file = generatedCustomers(FILE_MB);
    const key = importObjectKey(tenant.tenantId, randomUUID(), 'upload.csv');
    const stored = await ingestion.storage.put(key, file.stream);
    expect(stored.size).toBeGreaterThan(HEAP_MB * 1024 * 1024);

    service = await ingestion.startBuiltService({
      nodeArgs: [`--max-old-space-size=${HEAP_MB}`],
      // Parser batches at the service's default (1 000 rows, as deployed); staging windows of half the default.
      env: { INGESTION_CHECKPOINT_ROWS: '50000' },
    });
    const pid = service.pid as number;
    const baseline = rssMegabytes(pid);

    const importId = randomUUID();
    // The wide columns are read and parsed but left out by the mapping: the test is about streaming the
    // bytes, not about indexing long texts in customers.custom.
    const mapping = { columns: { notes: null, history: null } };
    await ingestion.rows(tenant, `INSERT INTO imports (id, entity, status, mode, format, object_uri, mapping) VALUES ($1, 'customers', 'queued', 'upsert', 'csv', $2, $3)`, [
      importId,
      stored.uri,
      JSON.stringify(mapping),
    ]);
    await new EventPublisher(pubsub, { autoCreate: true }).publish(
      ingestionRequestedV1,
      { importId, entity: 'customers', origin: { kind: 'upload', objectUri: stored.uri, format: 'csv' }, mode: 'upsert', mapping },
      { tenantId: tenant.tenantId, correlationId: 'memory-test' },
    );

    let peak = baseline;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssMegabytes(pid));
      } catch {
        // the process is gone; the wait below reports it
      }
    }, 50);
    try {
      await waitFor(async () => ['succeeded', 'failed'].includes(String((await ingestion.rows(tenant, 'SELECT status FROM imports WHERE id = $1', [importId]))[0]?.['status'])), {
        // 1 GB took 170-380 s on quiet 2-core machines and over 600 s in a CI run sharing the machine.
        timeoutMs: Number(process.env['INGEST_MEMORY_TEST_TIMEOUT_MS'] ?? 1_200_000),
        intervalMs: 250,
        description: 'the import to finish',
      });
    } catch (error) {
      // How far it got: a slow import and a stuck one read differently here.
      const [progress] = await ingestion.rows(tenant, `SELECT status, rows_received, checkpoint -> 'staging' AS staging FROM imports WHERE id = $1`, [importId]);
      throw new Error(`${(error as Error).message}; the import: ${JSON.stringify(progress)}; ingestion output:\n${service.lines.slice(-30).join('\n')}`);
    } finally {
      clearInterval(sampler);
    }
    const [record] = await ingestion.rows(tenant, 'SELECT status, rows_received::int, rows_loaded::int, error FROM imports WHERE id = $1', [importId]);
    expect(record).toEqual({ status: 'succeeded', rows_received: file.rows(), rows_loaded: file.rows(), error: null });
    expect((await ingestion.rows(tenant, 'SELECT count(*)::int AS n FROM customers'))[0]).toEqual({ n: file.rows() });
    process.stdout.write(`memory test: ${FILE_MB} MB, ${file.rows()} rows, heap limit ${HEAP_MB} MB, RSS ${baseline.toFixed(0)} MB at rest, peak ${peak.toFixed(0)} MB\n`);
    expect(peak).toBeLessThan(MAX_RSS_MB);
  }, 1_500_000);
});
