import { PubSub, type Message } from '@google-cloud/pubsub';
import type { INestApplication } from '@nestjs/common';
import { SecretBox } from '@pulse/crypto';
import { createObjectStorage, type ObjectStorage } from '@pulse/object-storage';
import { startPubSubEmulator, type RunningPubSubEmulator } from '@pulse/pubsub-emulator';
import { createServiceApp } from '@pulse/service-runtime';
import { tenantDatabaseUrl } from '@pulse/tenancy';
import { createTestDatabase, testPostgresUrlOrThrow, withClient, type TestDatabase } from '@pulse/testing';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, escapeIdentifier, escapeLiteral } from 'pg';
import { AppModule } from './app.module';
import { tenantRegistryConfigSchema } from './config/tenant-registry.config';
import { PROVISIONING_HOOKS, type ProvisioningHooks } from './provisioning/provisioning.tokens';

// The tenant registry in-process against real PostgreSQL (its own control-plane database, tenant
// databases on the same server) and the project's Pub/Sub emulator, driven over HTTP.

export const OPERATOR_TOKEN = 'test-operator-token-0123456789abcdef';

export interface RegistryUnderTest {
  app: INestApplication;
  baseUrl: string;
  controlPlane: TestDatabase;
  emulator: RunningPubSubEmulator;
  pubsub: PubSub;
  exportDir: string;
  /**
   * The object storage the registry erases from, configured as the registry's (tests put files in it as
   * the api and ingestion would); storageDir is its folder when local.
   */
  storage: ObjectStorage;
  storageDir: string | undefined;
  hooks: { afterStep: ProvisioningHooks['afterStep'] };
  /** The tenant role's URL to its own database, as the registry stored it. */
  tenantUrl(slug: string): Promise<string>;
  secretsKey: string;
  /** The login the registry provisions tenant databases with (TENANT_DATABASE_ADMIN_URL). */
  provisioningLogin: string;
  /** Runs SQL on the control plane. */
  query<T>(sql: string, values?: unknown[]): Promise<T[]>;
  // The body is whatever JSON the route answered; tests assert on its shape, so it is typed loosely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, urlPath: string, body?: unknown, token?: string | null): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/** A slug no other test (or earlier run on a shared server) uses: roles are global to the instance. */
export function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface RegistryOptions {
  /**
   * The login of TENANT_DATABASE_ADMIN_URL: the test server's superuser (default), or a login of the
   * registry's own with only LOGIN CREATEROLE CREATEDB, as production's (Cloud SQL has no superuser).
   */
  provisioningLogin?: 'superuser' | 'createrole';
  /** Object storage: a temporary folder (default), or a bucket of the GCS JSON API at endpoint (a FakeGcsServer). */
  gcs?: { endpoint: string; bucket: string };
}

/** A LOGIN CREATEROLE CREATEDB role of its own on the test server, and its URL; drop() removes it. */
async function createProvisioningLogin(serverUrl: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `registry_admin_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  await withClient(serverUrl, (client) =>
    client.query(`CREATE ROLE ${escapeIdentifier(name)} LOGIN NOSUPERUSER CREATEROLE CREATEDB PASSWORD ${escapeLiteral(password)}`),
  );
  const url = new URL(serverUrl);
  url.username = name;
  url.password = password;
  return {
    name,
    url: url.toString(),
    // Tenant roles it created and did not drop (a failed test) stay; they belong to no one.
    drop: () => withClient(serverUrl, (client) => client.query(`DROP ROLE IF EXISTS ${escapeIdentifier(name)}`)).then(() => undefined),
  };
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RegistryUnderTest> {
  const provisioningLogin = options.provisioningLogin === 'createrole' ? await createProvisioningLogin(testPostgresUrlOrThrow()) : undefined;
  const controlPlane = await createTestDatabase({
    prefix: 'registry',
    migrationsDir: path.resolve(__dirname, '../prisma/migrations'),
  });
  const emulator = await startPubSubEmulator({ port: 0 });
  const exportDir = await mkdtemp(path.join(tmpdir(), 'pulse-exports-'));
  const storageDir = options.gcs ? undefined : await mkdtemp(path.join(tmpdir(), 'pulse-storage-'));
  const storageEnv = options.gcs
    ? { PULSE_STORAGE: 'gcs', PULSE_STORAGE_BUCKET: options.gcs.bucket, PULSE_STORAGE_PROJECT_ID: 'pulse-test', PULSE_STORAGE_GCS_ENDPOINT: options.gcs.endpoint }
    : { PULSE_STORAGE: 'local', PULSE_STORAGE_DIR: storageDir };
  const secretsKey = SecretBox.generateKey();
  const box = SecretBox.fromBase64(secretsKey);
  const query = <T>(sql: string, values: unknown[] = []) => withClient(controlPlane.url, async (client) => (await client.query(sql, values)).rows as T[]);
  const config = tenantRegistryConfigSchema.parse({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    LOG_FORMAT: 'json',
    DATABASE_URL: controlPlane.url,
    TENANT_DATABASE_ADMIN_URL: provisioningLogin?.url ?? testPostgresUrlOrThrow(),
    PULSE_OPERATOR_TOKEN: OPERATOR_TOKEN,
    PULSE_SECRETS_KEY: secretsKey,
    EXPORT_DIR: exportDir,
    OFFBOARDING_WAIT_MS: '3000',
    PUBSUB_EMULATOR_HOST: emulator.address,
    PUBSUB_PROJECT_ID: 'pulse-test',
    TENANT_BASE_DOMAIN: 'pulse.test',
    ...storageEnv,
  });
  const hooks = { afterStep: async () => undefined } as { afterStep: ProvisioningHooks['afterStep'] };
  const root = AppModule.register(config);
  root.providers = [...(root.providers ?? []), { provide: PROVISIONING_HOOKS, useValue: { afterStep: (step: never, slug: string) => hooks.afterStep(step, slug) } }];
  const app = await createServiceApp(root, config.service);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = await app.getUrl();
  const pubsub = new PubSub({ projectId: 'pulse-test', apiEndpoint: emulator.address, emulatorMode: true });

  return {
    app,
    baseUrl,
    controlPlane,
    emulator,
    pubsub,
    exportDir,
    storage: createObjectStorage(config.storage),
    storageDir,
    hooks,
    secretsKey,
    provisioningLogin: provisioningLogin?.name ?? new URL(testPostgresUrlOrThrow()).username,
    query,
    async tenantUrl(slug) {
      const [row] = await query<{ host: string; port: number; database_name: string; role_name: string; password_encrypted: string }>(
        'SELECT d.* FROM tenant_databases d JOIN tenants t ON t.id = d.tenant_id WHERE t.slug = $1',
        [slug],
      );
      if (!row) throw new Error(`no database recorded for ${slug}`);
      return tenantDatabaseUrl({ host: row.host, port: row.port, databaseName: row.database_name, roleName: row.role_name, passwordEncrypted: row.password_encrypted }, box);
    },
    async call(method, urlPath, body, token = OPERATOR_TOKEN) {
      const response = await fetch(`${baseUrl}${urlPath}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const type = response.headers.get('content-type') ?? '';
      const payload = type.includes('json') ? await response.json() : Buffer.from(await response.arrayBuffer());
      return { status: response.status, body: payload, headers: response.headers };
    },
    async stop() {
      await app.close();
      await pubsub.close();
      await emulator.stop();
      await controlPlane.drop();
      await provisioningLogin?.drop();
      if (storageDir) await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** Connects as some login to some database; resolves to the error message when PostgreSQL refuses. */
export async function tryConnect(connectionString: string): Promise<string | 'connected'> {
  const client = new Client({ connectionString });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'connected';
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Collects the messages of a topic from now on, through a subscription of the test's own. */
export async function listen(pubsub: PubSub, topic: string): Promise<{ messages: Message[]; close: () => Promise<void> }> {
  const [topicHandle] = await pubsub.topic(topic).get({ autoCreate: true });
  const [subscription] = await topicHandle.createSubscription(`${topic}.test-${randomBytes(3).toString('hex')}`);
  const messages: Message[] = [];
  subscription.on('message', (message: Message) => {
    messages.push(message);
    message.ack();
  });
  return { messages, close: () => subscription.close() };
}
