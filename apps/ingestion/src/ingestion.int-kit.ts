import type { INestApplication } from '@nestjs/common';
import { SecretBox } from '@pulse/crypto';
import { startPubSubEmulator, type RunningPubSubEmulator } from '@pulse/pubsub-emulator';
import { connectEventConsumers } from '@pulse/messaging';
import { createServiceApp } from '@pulse/service-runtime';
import { createTenantContext, migrateTenantDatabase, type TenantContext } from '@pulse/tenancy';
import { createTenantRoleDatabase, createTestDatabase, dropTenantRoleDatabases, freePort, registerTestTenant, startProcess, testPostgresUrlOrThrow, withClient, type StartedProcess, type TestDatabase } from '@pulse/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Client } from 'pg';
import { AppModule } from './app.module';
import { ingestionConfigSchema } from './config/ingestion.config';
import { ImportLoader, type NewImport } from './imports/import-loader';
import type { ImportOutcome } from './imports/import-outcome';
import { IMPORT_STORAGE } from './imports/ingestion-dependencies';
import type { ObjectStorage } from '@pulse/object-storage';
import { importObjectKey } from '@pulse/object-storage';

// The ingestion service in-process against real PostgreSQL: a control plane (the tenant registry's
// migrations), tenant databases made as the registry makes them (own role, tenant schema applied as
// that role), and folders of its own for object storage and the DuckDB warehouse.

export interface SeededTenant {
  tenantId: string;
  slug: string;
  context: TenantContext;
  /** The tenant role's URL to its database. */
  databaseUrl: string;
}

const admin = <T>(work: (client: Client) => Promise<T>, url = testPostgresUrlOrThrow()) => withClient(url, work);

const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');

export class IngestionUnderTest {
  /** Tenant databases made by seedTenant, dropped by stop. */
  private readonly databases: string[] = [];

  private constructor(
    readonly app: INestApplication,
    readonly controlPlane: TestDatabase,
    readonly box: SecretBox,
    readonly folder: string,
    readonly secretsKey: string,
    readonly emulator: RunningPubSubEmulator,
  ) {}

  static async start(env: Record<string, string> = {}, options: { consumeEvents?: boolean } = {}): Promise<IngestionUnderTest> {
    const controlPlane = await createTestDatabase({
      prefix: 'ingestion_control_plane',
      migrationsDir: path.resolve(__dirname, '../../tenant-registry/prisma/migrations'),
    });
    const folder = await mkdtemp(path.join(tmpdir(), 'pulse-ingestion-'));
    const secretsKey = SecretBox.generateKey();
    const emulator = await startPubSubEmulator({ host: '127.0.0.1', port: 0 });
    const config = ingestionConfigSchema.parse({
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      LOG_FORMAT: 'json',
      DATABASE_URL: controlPlane.url,
      PULSE_SECRETS_KEY: secretsKey,
      PUBSUB_EMULATOR_HOST: emulator.address,
      PULSE_STORAGE_DIR: path.join(folder, 'storage'),
      PULSE_WAREHOUSE_DIR: path.join(folder, 'warehouse'),
      ...env,
    });
    const app = await createServiceApp(AppModule.register(config), config.service);
    if (options.consumeEvents) await connectEventConsumers(app, 'ingestion', { host: `test-${randomBytes(3).toString('hex')}` });
    await app.init();
    return new IngestionUnderTest(app, controlPlane, SecretBox.fromBase64(secretsKey), folder, secretsKey, emulator);
  }

  get loader(): ImportLoader {
    return this.app.get(ImportLoader);
  }

  get storage(): ObjectStorage {
    return this.app.get<ObjectStorage>(IMPORT_STORAGE);
  }

  /** A tenant with its own database and role and the tenant schema, registered in the control plane. */
  async seedTenant(prefix: string, settings: Record<string, unknown> = {}): Promise<SeededTenant> {
    const slug = `${prefix}-${randomBytes(4).toString('hex')}`;
    const database = await createTenantRoleDatabase(testPostgresUrlOrThrow(), `tenant_${slug.replace(/-/g, '_')}`);
    this.databases.push(database.name);
    const report = await migrateTenantDatabase({ tenantId: slug, connectionString: database.url });
    if (report.status !== 'ok') throw new Error(`tenant schema failed: ${report.error}`);
    const tenantId = randomUUID();
    await registerTestTenant(this.controlPlane.url, { tenantId, slug, settings, database, passwordEncrypted: this.box.encrypt(database.password) });
    return { tenantId, slug, context: createTenantContext({ tenantId, slug, correlationId: 'ingestion-test' }), databaseUrl: database.url };
  }

  /** Stores `content` as an upload of the tenant, the way the api does. */
  async upload(tenant: SeededTenant, content: string | Buffer, name = `upload-${randomBytes(4).toString('hex')}.csv`): Promise<string> {
    const info = await this.storage.put(importObjectKey(tenant.tenantId, randomUUID(), name), Readable.from([Buffer.from(content)]));
    return info.uri;
  }

  /** Uploads a file and loads it to completion. */
  async importFile(
    tenant: SeededTenant,
    spec: Omit<NewImport, 'objectUri' | 'format' | 'mode' | 'options'> & { content: string | Buffer; format?: 'csv' | 'ndjson'; mode?: 'upsert' | 'replace'; options?: Partial<NewImport['options']> },
  ): Promise<ImportOutcome> {
    const objectUri = await this.upload(tenant, spec.content, spec.format === 'ndjson' ? 'upload.ndjson' : 'upload.csv');
    return this.loader.load(tenant.context, 'UTC', {
      entity: spec.entity,
      format: spec.format ?? 'csv',
      objectUri,
      mapping: spec.mapping,
      mode: spec.mode ?? 'upsert',
      options: { onUnknownReference: 'reject', maxRejectedShare: 0.5, ...spec.options },
    });
  }

  /** Rows of the tenant's database, as its own role. */
  async rows<T = Record<string, unknown>>(tenant: SeededTenant, sql: string, values: unknown[] = []): Promise<T[]> {
    return admin(async (client) => (await client.query(sql, values)).rows as T[], tenant.databaseUrl);
  }

  /**
   * The built service (dist/apps/ingestion/main.js) as its own process, on this kit's control plane,
   * emulator and folders, once it listens and consumes ingestion.requested.v1: for what only a real
   * process shows (its memory, whether it survives a bad file). The caller stops it.
   */
  async startBuiltService(options: { nodeArgs?: string[]; env?: Record<string, string> } = {}): Promise<StartedProcess> {
    const service = startProcess(process.execPath, [...(options.nodeArgs ?? []), path.join(WORKSPACE_ROOT, 'dist/apps/ingestion/main.js')], {
      cwd: WORKSPACE_ROOT,
      env: {
        NODE_ENV: 'test',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        DATABASE_URL: this.controlPlane.url,
        PULSE_SECRETS_KEY: this.secretsKey,
        PUBSUB_EMULATOR_HOST: this.emulator.address,
        PULSE_STORAGE_DIR: path.join(this.folder, 'storage'),
        PULSE_WAREHOUSE_DIR: path.join(this.folder, 'warehouse'),
        ...options.env,
      },
    });
    await service.waitForLine(/listening on http/, 30_000);
    await service.waitForLine(/"topic":"ingestion\.requested\.v1".*consuming|consuming.*ingestion\.requested\.v1/, 30_000);
    return service;
  }

  async stop(): Promise<void> {
    await this.app.close();
    await this.emulator.stop();
    await dropTenantRoleDatabases(testPostgresUrlOrThrow(), this.databases);
    await this.controlPlane.drop();
    await rm(this.folder, { recursive: true, force: true });
  }
}
