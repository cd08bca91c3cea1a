import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import type { INestApplication } from '@nestjs/common';
import type { CanonicalEntity, EventContract, EventPayload } from '@pulse/contracts';
import { SecretBox } from '@pulse/crypto';
import { connectEventConsumers, createPubSubClient, EventPublisher } from '@pulse/messaging';
import { startPubSubEmulator, type RunningPubSubEmulator } from '@pulse/pubsub-emulator';
import { createServiceApp } from '@pulse/service-runtime';
import { migrateTenantDatabase } from '@pulse/tenancy';
import { createTenantRoleDatabase, createTestDatabase, dropTenantRoleDatabases, registerTestTenant, testPostgresUrlOrThrow, withClient, type TestDatabase } from '@pulse/testing';
import { createDuckDbWarehouse, stagedCsv, type DuckDbWarehouse, type WarehouseInputValue } from '@pulse/warehouse';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from 'pg';
import { AppModule } from './app.module';
import { metricsConfigSchema, type MetricsConfig } from './config/metrics.config';

// The metrics service in-process against real PostgreSQL (a control plane and tenant databases made the
// way the registry makes them), a real DuckDB warehouse folder and the project's Pub/Sub emulator.

export interface SeededTenant {
  tenantId: string;
  slug: string;
  /** The tenant role's URL to its database. */
  databaseUrl: string;
}

const admin = <T>(work: (client: Client) => Promise<T>, url = testPostgresUrlOrThrow()) => withClient(url, work);

export interface ComputedEvent {
  attributes: Record<string, string>;
  data: { runId: string; asOf: string; metrics: Array<{ name: string; rows: number }> };
}

export class MetricsUnderTest {
  readonly computed: ComputedEvent[] = [];
  /** Tenant databases made by seedTenant, dropped by stop. */
  private readonly databases: string[] = [];
  private readonly box: SecretBox;
  private serviceRunning = true;

  private constructor(
    private service: INestApplication,
    private readonly config: MetricsConfig,
    private readonly controlPlane: TestDatabase,
    private readonly emulator: RunningPubSubEmulator,
    private readonly pubsub: PubSub,
    private readonly publisher: EventPublisher,
    private readonly computedSubscription: Subscription,
    /** Ingestion's side of the warehouse: drops staged files into a tenant's inbox (never opens the file). */
    private readonly ingestionWarehouse: DuckDbWarehouse,
    private readonly scratch: string,
    secretsKey: string,
  ) {
    this.box = SecretBox.fromBase64(secretsKey);
  }

  static async start(env: Record<string, string> = {}): Promise<MetricsUnderTest> {
    const emulator = await startPubSubEmulator({ host: '127.0.0.1', port: 0 });
    const controlPlane = await createTestDatabase({
      prefix: 'metrics_control_plane',
      migrationsDir: path.resolve(__dirname, '../../tenant-registry/prisma/migrations'),
    });
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'pulse-metrics-test-'));
    const secretsKey = SecretBox.generateKey();
    const settings = { PUBSUB_EMULATOR_HOST: emulator.address, PUBSUB_PROJECT_ID: 'pulse-test' };
    const config = metricsConfigSchema.parse({
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      LOG_FORMAT: 'json',
      DATABASE_URL: controlPlane.url,
      PULSE_SECRETS_KEY: secretsKey,
      PULSE_WAREHOUSE: 'duckdb',
      PULSE_WAREHOUSE_DIR: path.join(scratch, 'warehouse'),
      PULSE_WAREHOUSE_DUCKDB_THREADS: '1',
      METRICS_WORK_DIR: path.join(scratch, 'work'),
      METRICS_DEBOUNCE_MS: '500',
      METRICS_SWEEP_INTERVAL_MS: '0',
      // Runs of earlier days are the fixtures of most tests: a restart's sweep must not roll them forward.
      METRICS_DAILY_RUNS: 'false',
      PUBSUB_MIN_BACKOFF_SECONDS: '0',
      PUBSUB_MAX_BACKOFF_SECONDS: '1',
      ...settings,
      ...env,
    });
    const app = await startService(config);

    const pubsub = createPubSubClient({ projectId: 'pulse-test', emulatorHost: emulator.address });
    const publisher = new EventPublisher(pubsub, { autoCreate: true });
    await pubsub.createTopic('metrics.computed.v1').catch(() => undefined);
    const [subscription] = await pubsub.topic('metrics.computed.v1').createSubscription(`metrics-test-${randomBytes(4).toString('hex')}`);
    const ingestionWarehouse = createDuckDbWarehouse({ directory: path.join(scratch, 'warehouse') });
    const kit = new MetricsUnderTest(app, config, controlPlane, emulator, pubsub, publisher, subscription, ingestionWarehouse, scratch, secretsKey);
    subscription.on('message', (message: Message) => {
      kit.computed.push({ attributes: message.attributes, data: JSON.parse(message.data.toString('utf8')) as ComputedEvent['data'] });
      message.ack();
    });
    return kit;
  }

  get app(): INestApplication {
    return this.service;
  }

  /** Shuts the service down as SIGTERM would (every shutdown hook); returns how long that took. */
  async stopService(): Promise<number> {
    const started = Date.now();
    this.serviceRunning = false;
    await this.service.close();
    return Date.now() - started;
  }

  /** Starts the service again on the same control plane, warehouse folder and Pub/Sub emulator. */
  async startServiceAgain(): Promise<void> {
    this.service = await startService(this.config);
    this.serviceRunning = true;
  }

  /** A tenant with its own role and database (tenant schema applied as that role), registered live. */
  async seedTenant(prefix: string, options: { settings?: Record<string, unknown> } = {}): Promise<SeededTenant> {
    const slug = `${prefix}-${randomBytes(4).toString('hex')}`;
    const database = await createTenantRoleDatabase(testPostgresUrlOrThrow(), `tenant_${slug.replace(/-/g, '_')}`);
    this.databases.push(database.name);
    const report = await migrateTenantDatabase({ tenantId: slug, connectionString: database.url });
    if (report.status !== 'ok') throw new Error(`tenant schema failed: ${report.error}`);
    const tenantId = randomUUID();
    await registerTestTenant(this.controlPlane.url, { tenantId, slug, settings: options.settings, database, passwordEncrypted: this.box.encrypt(database.password) });
    return { tenantId, slug, databaseUrl: database.url };
  }

  /** Rows for a warehouse table, staged as ingestion would (the service applies them before its next run); returns the import id. */
  async stageWarehouseRows(tenant: SeededTenant, entity: CanonicalEntity, rows: readonly Record<string, WarehouseInputValue>[], mode: 'upsert' | 'replace' = 'upsert'): Promise<string> {
    const file = path.join(this.scratch, `${entity}-${randomUUID()}.csv`);
    await writeFile(file, stagedCsv(entity, rows));
    const importId = randomUUID();
    await this.ingestionWarehouse.appendStaged({ tenant, entity, importId, mode, objectUri: pathToFileURL(file).href });
    return importId;
  }

  /** The folder of the warehouse files, inboxes and run scratch files (server paths no API client may see). */
  get scratchDir(): string {
    return this.scratch;
  }

  /** The tenant's DuckDB file (the service creates it on its first run). */
  warehouseFile(tenant: SeededTenant): string {
    return path.join(this.scratch, 'warehouse', `${tenant.tenantId}.duckdb`);
  }

  async tenantSql<T = Record<string, unknown>>(tenant: SeededTenant, sql: string, values: unknown[] = []): Promise<T[]> {
    return admin(async (client) => (await client.query(sql, values)).rows as T[], tenant.databaseUrl);
  }

  async publish<Contract extends EventContract>(contract: Contract, tenant: SeededTenant, payload: EventPayload<Contract>): Promise<string> {
    return this.publisher.publish(contract, payload, { tenantId: tenant.tenantId, correlationId: `test-${randomUUID()}` });
  }

  /** Queues a run the way the api does (a queued metric_runs row), returning its id. */
  async queueRunLikeTheApi(tenant: SeededTenant, input: { reason: string; asOf?: string }): Promise<string> {
    const [row] = await this.tenantSql<{ id: string }>(tenant, `INSERT INTO metric_runs (status, reason, as_of) VALUES ('queued', $1, $2::date) RETURNING id`, [input.reason, input.asOf ?? null]);
    return (row as { id: string }).id;
  }

  async waitForRun(tenant: SeededTenant, runId: string, timeoutMs = 30_000): Promise<RunRow> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [run] = await this.tenantSql<RunRow>(tenant, `${RUN_SELECT} WHERE id = $1`, [runId]);
      if (run && (run.status === 'succeeded' || run.status === 'failed')) return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} not finished within ${timeoutMs} ms: ${JSON.stringify(run)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops the kit's Pub/Sub emulator: from then on every publish fails, after the client's retries. */
  async stopPubSub(): Promise<void> {
    await this.emulator.stop();
  }

  /** Marks the tenant offboarded in the control plane, as the registry does before it announces it. */
  async markOffboarded(tenant: SeededTenant): Promise<void> {
    await withClient(this.controlPlane.url, (client) => client.query(`UPDATE tenants SET status = 'offboarded' WHERE id = $1`, [tenant.tenantId]));
  }

  async runs(tenant: SeededTenant): Promise<RunRow[]> {
    return this.tenantSql<RunRow>(tenant, `${RUN_SELECT} ORDER BY requested_at, id`);
  }

  async stop(): Promise<void> {
    if (this.serviceRunning) await this.service.close();
    await this.computedSubscription.close().catch(() => undefined);
    await this.pubsub.close().catch(() => undefined);
    await this.ingestionWarehouse.close();
    await this.emulator.stop();
    await dropTenantRoleDatabases(testPostgresUrlOrThrow(), this.databases);
    await this.controlPlane.drop();
    await rm(this.scratch, { recursive: true, force: true });
  }
}

async function startService(config: MetricsConfig): Promise<INestApplication> {
  const app = await createServiceApp(AppModule.register(config), config.service);
  await connectEventConsumers(app, 'metrics', { host: `test-${randomBytes(3).toString('hex')}` });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

export interface RunRow {
  id: string;
  status: string;
  reason: string | null;
  as_of: string | null;
  error_code: string | null;
  error: string | null;
  covered_by_run_id: string | null;
  timings: Record<string, number>;
  row_counts: Record<string, number>;
  started_at: Date | null;
  finished_at: Date | null;
}

const RUN_SELECT = `SELECT id, status, reason, to_char(as_of, 'YYYY-MM-DD') AS as_of, error_code, error, covered_by_run_id, timings, row_counts, started_at, finished_at FROM metric_runs`;
