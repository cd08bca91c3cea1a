import path from 'node:path';
import { freePort } from './free-port';
import { startProcess, type StartedProcess } from './start-process';
import { TcpProxy } from './tcp-proxy';
import { createTestDatabase, testPostgresUrlOrThrow, type TestDatabase } from './test-database';
import { waitFor } from './wait-for';

export interface ServiceLifecycleOptions {
  /** Nx project name; the built entry is dist/apps/<service>/main.js (int-test depends on build). */
  service: string;
  /** Environment the service needs besides PORT, HOST and DATABASE_URL; a function is called in beforeAll. */
  extraEnv?: Record<string, string> | (() => Record<string, string>);
  /** Name of the readiness check that covers the database (the key in the /readyz body). */
  databaseCheck: string;
}

const workspaceRoot = path.resolve(__dirname, '../../../..');

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/**
 * The behaviour every Pulse service owes its operators, checked on the real built process: it boots on
 * its port, answers /healthz and /readyz, reports not-ready while its database is unreachable and ready
 * again once it is back, answers errors as problem+json with the correlation id, exits 0 on SIGTERM, and
 * refuses to start on a bad environment with a message naming each variable.
 */
export function describeServiceLifecycle({ service, extraEnv = {}, databaseCheck }: ServiceLifecycleOptions): void {
  const entry = path.join(workspaceRoot, 'dist/apps', service, 'main.js');

  describe(`${service} service lifecycle`, () => {
    let database: TestDatabase;
    let proxy: TcpProxy;
    let running: StartedProcess;
    let baseUrl: string;

    beforeAll(async () => {
      database = await createTestDatabase({ prefix: service.replace(/-/g, '_') });
      const server = new URL(testPostgresUrlOrThrow());
      proxy = await TcpProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
      const throughProxy = new URL(database.url);
      throughProxy.hostname = '127.0.0.1';
      throughProxy.port = String(proxy.port);

      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      running = startProcess(process.execPath, [entry], {
        cwd: workspaceRoot,
        env: {
          NODE_ENV: 'test',
          LOG_FORMAT: 'json',
          HOST: '127.0.0.1',
          PORT: String(port),
          DATABASE_URL: throughProxy.toString(),
          ...(typeof extraEnv === 'function' ? extraEnv() : extraEnv),
        },
      });
      await running.waitForLine(/listening on http/, 30_000);
    });

    afterAll(async () => {
      await running?.stop('SIGKILL');
      await proxy?.stop();
      await database?.drop();
    });

    it('is alive and ready, with its database check up', async () => {
      expect(await get(`${baseUrl}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
      const ready = await get(`${baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ok', details: { [databaseCheck]: { status: 'up' } } });
    });

    it('answers unknown routes with problem+json and echoes the correlation id', async () => {
      const response = await get(`${baseUrl}/no-such-route`, { 'x-correlation-id': 'lifecycle-test-1' });

      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('x-correlation-id')).toBe('lifecycle-test-1');
      expect(response.body).toEqual({
        type: 'urn:pulse:problem:route_not_found',
        title: 'Not Found',
        status: 404,
        detail: 'Cannot GET /no-such-route',
        code: 'route_not_found',
        instance: '/no-such-route',
      });
      // The access log line is written once the response has been sent, so it may trail the response.
      const [logged] = await running.waitForLine(/^.*"correlationId":"lifecycle-test-1".*$/, 5_000);
      expect(JSON.parse(logged)).toMatchObject({ service, severity: 'INFO', res: { statusCode: 404 } });
    });

    it('turns not-ready while its database is unreachable and ready again once it is back', async () => {
      await proxy.interrupt();
      await waitFor(async () => (await get(`${baseUrl}/readyz`)).status === 503, {
        timeoutMs: 15_000,
        description: '/readyz to report 503 with the database unreachable',
      }).catch((error: Error) => {
        // A service that died here says why in its last lines.
        throw new Error(`${error.message}\n--- last output of ${service}:\n${running.lines.slice(-25).join('\n')}`);
      });
      const notReady = await get(`${baseUrl}/readyz`);
      expect(notReady.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(notReady.body).toMatchObject({ status: 503, code: 'not_ready', checks: { [databaseCheck]: { status: 'down' } } });
      // Liveness must not follow: restarting a pod does not bring a database back.
      expect((await get(`${baseUrl}/healthz`)).status).toBe(200);

      await proxy.resume();
      await waitFor(async () => (await get(`${baseUrl}/readyz`)).status === 200, {
        timeoutMs: 15_000,
        description: '/readyz to recover once the database is reachable again',
      });
    });

    it('drains and exits 0 on SIGTERM', async () => {
      const code = await running.stop('SIGTERM');
      expect(code).toBe(0);
      expect(running.lines.some((line) => line.includes('SIGTERM received'))).toBe(true);
    });

    it('refuses to start on an invalid environment, naming each bad variable', async () => {
      const misconfigured = startProcess(process.execPath, [entry], {
        cwd: workspaceRoot,
        env: { NODE_ENV: 'test', PORT: 'not-a-port', DATABASE_URL: undefined, LOG_LEVEL: 'loud' },
      });
      const exit = await misconfigured.exited;

      expect(exit.code).toBe(1);
      const output = misconfigured.lines.join('\n');
      expect(output).toContain(`Invalid environment for ${service}:`);
      expect(output).toContain('  - PORT: must be a port number');
      expect(output).toContain('  - DATABASE_URL: is required');
      expect(output).toContain('  - LOG_LEVEL: must be one of');
    });
  });
}
