import type { INestApplication } from '@nestjs/common';
import { SecretBox } from '@pulse/crypto';
import { createServiceApp } from '@pulse/service-runtime';
import { issueApiKey, migrateTenantDatabase, TenantDatabasePool } from '@pulse/tenancy';
import {
  createTenantRoleDatabase,
  createTestDatabase,
  dropTenantRoleDatabases,
  freePort,
  registerTestTenant,
  startProcess,
  testPostgresUrlOrThrow,
  withClient,
  type StartedProcess,
  type TestDatabase,
} from '@pulse/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from 'pg';
import { connectApiEventConsumers } from './api-event-consumers';
import { AppModule } from './app.module';
import { apiConfigSchema } from './config/api.config';

// The api in-process against real PostgreSQL: a control plane (the tenant registry's migrations) and
// tenant databases made the way the registry makes them (own role, CONNECT revoked from PUBLIC, the
// tenant schema applied as that role), seeded directly with SQL.

export interface SeededTenant {
  tenantId: string;
  slug: string;
  apiKey: string;
  /** The tenant role's URL to its database, for seeding rows. */
  databaseUrl: string;
}

const admin = <T>(work: (client: Client) => Promise<T>, url = testPostgresUrlOrThrow()) => withClient(url, work);

/** A slug no other test (or earlier run on a shared server) uses: roles are global to the instance. */
export function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export class ApiUnderTest {
  /** Tenant databases made by seedTenant, dropped by stop. */
  private readonly databases: string[] = [];

  private constructor(
    readonly app: INestApplication,
    readonly baseUrl: string,
    private readonly controlPlane: TestDatabase,
    private readonly box: SecretBox,
    /** The environment this api was configured from: a second api process can run on it (same control plane). */
    readonly env: Readonly<Record<string, string>>,
  ) {}

  static async start(env: Record<string, string> = {}, options: { consumeEvents?: boolean } = {}): Promise<ApiUnderTest> {
    const controlPlane = await createTestDatabase({
      prefix: 'api_control_plane',
      migrationsDir: path.resolve(__dirname, '../../tenant-registry/prisma/migrations'),
    });
    const secretsKey = SecretBox.generateKey();
    const environment: Record<string, string> = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      LOG_FORMAT: 'json',
      DATABASE_URL: controlPlane.url,
      PULSE_SECRETS_KEY: secretsKey,
      TENANT_BASE_DOMAIN: 'pulse.test',
      PUBSUB_EMULATOR_HOST: '127.0.0.1:9', // nothing is published by these tests
      // Tests fire requests far faster than a plan allows; the rate-limit test sets its own plan.
      RATE_LIMIT_PLANS: JSON.stringify({ standard: { perSecond: 100_000, burst: 100_000 } }),
      ...env,
    };
    const config = apiConfigSchema.parse(environment);
    const app = await createServiceApp(AppModule.register(config), config.service);
    if (options.consumeEvents) await connectApiEventConsumers(app, `test-${randomBytes(3).toString('hex')}`);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return new ApiUnderTest(app, await app.getUrl(), controlPlane, SecretBox.fromBase64(secretsKey), environment);
  }

  /**
   * Another api replica, in this process, on this control plane: this api's environment with `env` on top.
   * The caller closes it (`app.close()`), as a pod stopping.
   */
  async startReplica(env: Record<string, string> = {}): Promise<{ app: INestApplication; baseUrl: string }> {
    const config = apiConfigSchema.parse({ ...this.env, ...env });
    const app = await createServiceApp(AppModule.register(config), config.service);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { app, baseUrl: await app.getUrl() };
  }

  /**
   * The built api (dist/apps/api, `nx run api:build`) as its own process on this control plane, logging
   * JSON lines at `logLevel` to its stdout: what an operator's log shows.
   */
  async startBuiltProcess(logLevel: string): Promise<{ process: StartedProcess; baseUrl: string }> {
    const port = await freePort();
    const api = startProcess(process.execPath, [path.resolve(__dirname, '../../../dist/apps/api/main.js')], {
      env: { ...this.env, LOG_LEVEL: logLevel, HOST: '127.0.0.1', PORT: String(port) },
    });
    await api.waitForLine(/listening/i, 30_000);
    return { process: api, baseUrl: `http://127.0.0.1:${port}` };
  }

  /** A tenant with its own database and role, the tenant schema, an API key; status as given. */
  async seedTenant(prefix: string, options: { status?: string; hostnames?: string[]; slug?: string; settings?: Record<string, unknown> } = {}): Promise<SeededTenant> {
    const slug = options.slug ?? uniqueSlug(prefix);
    const database = await createTenantRoleDatabase(testPostgresUrlOrThrow(), `tenant_${slug.replace(/-/g, '_')}`);
    this.databases.push(database.name);
    const report = await migrateTenantDatabase({ tenantId: slug, connectionString: database.url });
    if (report.status !== 'ok') throw new Error(`tenant schema failed: ${report.error}`);

    const tenantId = randomUUID();
    const key = issueApiKey();
    await registerTestTenant(this.controlPlane.url, {
      tenantId,
      slug,
      status: options.status,
      hostnames: options.hostnames,
      settings: options.settings,
      database,
      passwordEncrypted: this.box.encrypt(database.password),
    });
    await admin(
      (client) =>
        client.query(`INSERT INTO api_keys (id, tenant_id, prefix, secret_hash, name, scopes) VALUES ($1, $2, $3, $4, 'test', '{read,write}')`, [randomUUID(), tenantId, key.prefix, key.secretHash]),
      this.controlPlane.url,
    );
    return { tenantId, slug, apiKey: key.token, databaseUrl: database.url };
  }

  /** Runs SQL on the control plane (as the registry would change it). */
  async controlPlaneSql(sql: string, values: unknown[] = []): Promise<void> {
    await admin((client) => client.query(sql, values), this.controlPlane.url);
  }

  /** Runs SQL in a tenant's database as its own role. */
  async tenantSql(tenant: SeededTenant, sql: string, values: unknown[] = []): Promise<void> {
    await admin((client) => client.query(sql, values), tenant.databaseUrl);
  }

  /**
   * Runs `send` while the api's next tenant transaction commits and then fails as a lost COMMIT answer
   * does (the driver's "Connection terminated unexpectedly"): the work is done, the route sees an error.
   */
  async withNextCommitAnswerLost<T>(send: () => Promise<T>): Promise<T> {
    const pool = this.app.get(TenantDatabasePool);
    const transaction = pool.withTenantTransaction.bind(pool);
    const lostAnswer = jest.spyOn(pool, 'withTenantTransaction').mockImplementationOnce(async (...args: Parameters<typeof transaction>) => {
      await transaction(...args);
      throw new Error('Connection terminated unexpectedly');
    });
    try {
      return await send();
    } finally {
      lostAnswer.mockRestore();
    }
  }

  async get(urlPath: string, options: { key?: string; host?: string; headers?: Record<string, string> } = {}) {
    const response = await fetch(`${this.baseUrl}${urlPath}`, {
      headers: {
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...(options.host ? { 'x-forwarded-host': options.host } : {}),
        ...options.headers,
      },
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** Any method, with a JSON body; the raw body text is kept for responses that are not JSON. */
  async request(method: string, urlPath: string, options: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const response = await fetch(`${this.baseUrl}${urlPath}`, {
      method,
      headers: {
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    const json = response.headers.get('content-type')?.includes('json') && text ? (JSON.parse(text) as Record<string, unknown>) : {};
    return { status: response.status, headers: response.headers, body: json, text };
  }

  async stop(): Promise<void> {
    await this.app.close();
    await dropTenantRoleDatabases(testPostgresUrlOrThrow(), this.databases);
    await this.controlPlane.drop();
  }
}
