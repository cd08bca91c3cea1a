import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startProcess, type StartedProcess } from '@pulse/testing';

// `npm start` as a developer runs it, isolated from theirs: free ports, a temporary data directory
// (never the developer's .pulse/), embedded PostgreSQL even where DATABASE_URL is set. The services
// are built beforehand (the int-test target depends on their builds), hence PULSE_SKIP_BUILD.
const workspaceRoot = path.resolve(__dirname, '../..');
const services = [
  { name: 'api', variable: 'API_PORT' },
  { name: 'tenant-registry', variable: 'TENANT_REGISTRY_PORT' },
  { name: 'ingestion', variable: 'INGESTION_PORT' },
  { name: 'metrics', variable: 'METRICS_PORT' },
];

function httpStatus(port: number, urlPath: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (response) => {
        response.resume();
        resolve(response.statusCode);
      })
      .on('error', reject);
  });
}

/** GET with a Bearer credential; the status code only. */
async function statusWith(port: number, urlPath: string, token: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function startPulse(environment: NodeJS.ProcessEnv): StartedProcess {
  return startProcess(process.execPath, ['tools/local/start.mjs'], {
    cwd: workspaceRoot,
    env: {
      PULSE_SKIP_BUILD: '1',
      NO_COLOR: '1',
      FORCE_COLOR: undefined,
      DATABASE_URL: undefined,
      PUBSUB_EMULATOR_HOST: undefined,
      PULSE_OPERATOR_TOKEN: undefined,
      PULSE_SECRETS_KEY: undefined,
      ...environment,
    },
  });
}

/**
 * Waits for "Pulse is ready"; if the launcher stops instead, the error names what it said and every
 * line that reported an error, not only the last lines (services log their own shutdown after the cause).
 */
async function waitUntilReady(pulse: StartedProcess): Promise<void> {
  try {
    await pulse.waitForLine(/^Pulse is ready/, 150_000);
  } catch (error) {
    const telling = pulse.lines.filter((line) => line.startsWith('[pulse]') || /error|fail|refus|exited|cannot/i.test(line));
    throw new Error(`${error instanceof Error ? error.message.split('\n')[0] : String(error)}\nThe launcher's lines and the lines reporting errors:\n${telling.slice(0, 80).join('\n')}`);
  }
}

describe('npm start (tools/local/start.mjs)', () => {
  let dataDir: string;
  let pulse: StartedProcess | undefined;
  /** The demo key the first start printed (the second start, on the same data, must revoke it). */
  let firstDemoKey: string | undefined;
  /** The first start's PostgreSQL port: tenant database locations are stored with it, as with `npm start`'s fixed one. */
  let firstPostgresPort: number | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pulse-start-'));
    // mkdtemp makes it 0700; run as root, PostgreSQL runs as the postgres user and must get through it.
    await chmod(dataDir, 0o755);
  });

  afterAll(async () => {
    // Only matters when an assertion failed half-way: never leave the platform running.
    await pulse?.stop('SIGINT', { killAfterMs: 60_000 });
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts every service until /readyz answers 200, and stops everything on SIGINT', async () => {
    const ports = new Map<string, number>();
    for (const service of services) ports.set(service.name, await freePort());
    const postgresPort = await freePort();
    firstPostgresPort = postgresPort;
    const emulatorPort = await freePort();

    pulse = startPulse({
      PUBSUB_EMULATOR_PORT: String(emulatorPort),
      ...Object.fromEntries(services.map((service) => [service.variable, String(ports.get(service.name))])),
      PULSE_POSTGRES_PORT: String(postgresPort),
      PULSE_DATA_DIR: dataDir,
    });
    await waitUntilReady(pulse);

    for (const service of services) {
      const port = ports.get(service.name) as number;
      expect(pulse.lines).toContainEqual(expect.stringMatching(new RegExp(`^  ${service.name} +http://127\\.0\\.0\\.1:${port} `)));
      expect(await httpStatus(port, '/readyz')).toBe(200);
    }
    expect(pulse.lines).toContainEqual(expect.stringContaining(`postgresql://postgres:****@127.0.0.1:${postgresPort}/pulse`));
    expect(pulse.lines).toContainEqual(expect.stringMatching(/^ {2}operator token +[A-Za-z0-9_-]{43} /));
    expect(pulse.lines).toContainEqual(expect.stringMatching(/^ {2}demo tenant +demo +\(created now\)$/));
    const demoKey = pulse.lines.map((line) => /^ {2}demo API key +(pulse_\w+) /.exec(line)?.[1]).find(Boolean);
    expect(demoKey).toMatch(/^pulse_[A-Za-z0-9]{12}_[A-Za-z0-9]{32}$/);
    firstDemoKey = demoKey;
    expect(pulse.lines).toContainEqual(expect.stringMatching(new RegExp(`^ {2}Pub/Sub +127\\.0\\.0\\.1:${emulatorPort} `)));
    expect(await acceptsConnections(emulatorPort)).toBe(true);
    expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);

    expect(await pulse.stop('SIGINT', { killAfterMs: 60_000 })).toBe(0);
    for (const port of [...ports.values(), postgresPort, emulatorPort]) expect(await acceptsConnections(port)).toBe(false);
    expect(pulse.lines).toContain('[pulse]           Stopped.');
  });

  it('a second start on the same data issues a new demo API key and revokes the previous one', async () => {
    expect(firstDemoKey).toBeDefined();
    const apiPort = await freePort();
    const registryPort = await freePort();
    pulse = startPulse({
      API_PORT: String(apiPort),
      TENANT_REGISTRY_PORT: String(registryPort),
      INGESTION_PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
      PUBSUB_EMULATOR_PORT: String(await freePort()),
      PULSE_POSTGRES_PORT: String(firstPostgresPort),
      PULSE_DATA_DIR: dataDir,
      PULSE_DEMO_CUSTOMERS: '0',
    });
    await waitUntilReady(pulse);

    const secondKey = pulse.lines.map((line) => /^ {2}demo API key +(pulse_\w+) /.exec(line)?.[1]).find(Boolean) as string;
    expect(secondKey).toMatch(/^pulse_[A-Za-z0-9]{12}_[A-Za-z0-9]{32}$/);
    expect(secondKey).not.toBe(firstDemoKey);
    expect(await statusWith(apiPort, '/v1/customers', secondKey)).toBe(200);
    expect(await statusWith(apiPort, '/v1/customers', firstDemoKey as string)).toBe(401);
    expect(pulse.lines).toContainEqual(expect.stringMatching(/^ {2}demo API key +pulse_\w+ +\(issued for this run; shown once; the previous one is revoked\)$/));

    // One live key: this run's (the key issued with the tenant on the first start is revoked too).
    const operatorToken = pulse.lines.map((line) => /^ {2}operator token +([A-Za-z0-9_-]{43}) /.exec(line)?.[1]).find(Boolean) as string;
    const keys = await fetch(`http://127.0.0.1:${registryPort}/v1/tenants/demo/api-keys`, { headers: { authorization: `Bearer ${operatorToken}` } });
    const live = ((await keys.json()) as { items: Array<{ name: string; prefix: string; revokedAt: string | null }> }).items.filter((key) => key.revokedAt === null);
    expect(live.map((key) => [key.name.startsWith('npm start '), secondKey.startsWith(`${key.prefix}_`)])).toEqual([[true, true]]);

    // The demo source reads its CRM database with a login of its own (the server's superuser could read
    // every database, the control plane's included), and syncs with this start's password for it.
    const lastSyncOfDemoSource = async () => {
      const response = await fetch(`http://127.0.0.1:${apiPort}/v1/sources`, { headers: { authorization: `Bearer ${secondKey}` } });
      const { items } = (await response.json()) as { items: Array<{ name: string; connection: { user: string }; lastSync: { status: string; errorCode: string | null } | null }> };
      return items.find((item) => item.name === 'Demo CRM (PostgreSQL)');
    };
    expect((await lastSyncOfDemoSource())?.connection.user).toBe('pulse_demo_crm_reader');
    for (let waited = 0; ; waited += 500) {
      const lastSync = (await lastSyncOfDemoSource())?.lastSync;
      if (lastSync && (lastSync.status === 'succeeded' || lastSync.status === 'failed')) {
        expect(lastSync).toMatchObject({ status: 'succeeded', errorCode: null });
        break;
      }
      if (waited > 60_000) throw new Error(`the demo source's sync did not end: ${JSON.stringify(lastSync)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    expect(await pulse.stop('SIGINT', { killAfterMs: 60_000 })).toBe(0);
  });

  it('refuses to start when a service port is taken, naming the service and its variable', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const takenPort = (blocker.address() as net.AddressInfo).port;
    try {
      // Every other port free, so that only the taken one is named (the machine may run something on a default port).
      const attempt = startPulse({
        API_PORT: String(await freePort()),
        TENANT_REGISTRY_PORT: String(await freePort()),
        INGESTION_PORT: String(takenPort),
        METRICS_PORT: String(await freePort()),
        PUBSUB_EMULATOR_PORT: String(await freePort()),
        PULSE_POSTGRES_PORT: String(await freePort()),
        PULSE_DATA_DIR: dataDir,
      });

      expect((await attempt.exited).code).toBe(1);
      expect(attempt.lines.join('\n')).toMatch(new RegExp(`Port already in use: ${takenPort} \\(ingestion, INGESTION_PORT\\)\\. Stop what uses it`));
    } finally {
      blocker.close();
    }
  });
});
