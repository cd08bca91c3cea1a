import { freePort, type StartedProcess } from '@pulse/testing';
import { ApiUnderTest, type SeededTenant } from './api.int-kit';

// Request logs as an operator reads them: the built api as a process, its JSON log lines on stdout.
// Every request is logged once with its correlation id, and a tenant request with its tenant id; a
// failed one also once with why, an ERROR with the stack only for a bug (500).

describe('request logs', () => {
  let seeded: ApiUnderTest;
  let tenant: SeededTenant;
  let broken: SeededTenant;
  let unreachable: SeededTenant;
  let api: StartedProcess;
  let baseUrl: string;

  beforeAll(async () => {
    seeded = await ApiUnderTest.start();
    tenant = await seeded.seedTenant('logs');
    // A tenant database missing its customers table: reading customers is a bug's 500.
    broken = await seeded.seedTenant('logs-broken');
    await seeded.tenantSql(broken, 'DROP TABLE customers CASCADE');
    // A tenant database nothing listens for: an outage's 503.
    unreachable = await seeded.seedTenant('logs-down');
    await seeded.controlPlaneSql(`UPDATE tenant_databases SET host = '127.0.0.1', port = $1 WHERE tenant_id = $2`, [await freePort(), unreachable.tenantId]);
    ({ process: api, baseUrl } = await seeded.startBuiltProcess('info'));
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await seeded?.stop();
  });

  const logLines = () =>
    api.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });

  it('logs a tenant request with its correlation id, tenant id, method, path and status', async () => {
    const response = await fetch(`${baseUrl}/v1/customers?limit=1`, { headers: { authorization: `Bearer ${tenant.apiKey}`, 'x-correlation-id': 'log-test-1' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-correlation-id')).toBe('log-test-1');

    await api.waitForLine(/"correlationId":"log-test-1".*request completed|request completed.*"correlationId":"log-test-1"/, 10_000);
    const lines = logLines().filter((line) => line.correlationId === 'log-test-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      tenantId: tenant.tenantId,
      service: 'api',
      req: { method: 'GET', url: '/v1/customers?limit=1' },
      res: { statusCode: 200 },
    });
  });

  it('logs a refused request with its correlation id and no tenant', async () => {
    const response = await fetch(`${baseUrl}/v1/customers`, { headers: { authorization: 'Bearer pulse_nope_nope', 'x-correlation-id': 'log-test-2' } });
    expect(response.status).toBe(401);

    const completed = (await linesOf('log-test-2')).filter((line) => line.res !== undefined);
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ res: { statusCode: 401 } });
    expect(completed[0]).not.toHaveProperty('tenantId');
  });

  it('does not log health probes', async () => {
    expect((await fetch(`${baseUrl}/healthz`, { headers: { 'x-correlation-id': 'log-test-probe' } })).status).toBe(200);
    await fetch(`${baseUrl}/v1/customers`, { headers: { 'x-correlation-id': 'log-test-after-probe' } });
    await api.waitForLine(/"correlationId":"log-test-after-probe"/, 10_000);
    expect(logLines().filter((line) => line.correlationId === 'log-test-probe')).toEqual([]);
  });

  /** The lines of one request, once its completion line is out. */
  async function linesOf(correlationId: string) {
    await api.waitForLine(new RegExp(`"correlationId":"${correlationId}".*"res"`), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more should follow
    return logLines().filter((line) => line.correlationId === correlationId);
  }

  it('logs a 500 once at ERROR, with the stack, correlation id and tenant, and its completion line as a warning', async () => {
    const response = await fetch(`${baseUrl}/v1/customers`, { headers: { authorization: `Bearer ${broken.apiKey}`, 'x-correlation-id': 'log-test-500' } });
    expect(response.status).toBe(500);

    const lines = await linesOf('log-test-500');
    const errors = lines.filter((line) => line.severity === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      level: 50,
      tenantId: broken.tenantId,
      code: 'internal_error',
      message: 'request failed: GET /v1/customers',
      err: { message: expect.stringContaining('customers'), stack: expect.stringMatching(/\n\s+at /) },
    });
    expect(lines.filter((line) => line.res !== undefined)).toEqual([
      expect.objectContaining({ severity: 'WARNING', tenantId: broken.tenantId, req: { method: 'GET', url: '/v1/customers' }, res: { statusCode: 500 }, responseTime: expect.any(Number) }),
    ]);
    expect(lines).toHaveLength(2);
  });

  it('logs a 503 of a database that cannot be reached as a warning with the driver error, and no ERROR', async () => {
    const response = await fetch(`${baseUrl}/v1/customers`, { headers: { authorization: `Bearer ${unreachable.apiKey}`, 'x-correlation-id': 'log-test-503' } });
    expect(response.status).toBe(503);

    const lines = await linesOf('log-test-503');
    expect(lines.filter((line) => line.severity === 'ERROR')).toEqual([]);
    expect(lines).toEqual([
      expect.objectContaining({ severity: 'WARNING', tenantId: unreachable.tenantId, code: 'database_unavailable', err: expect.objectContaining({ code: 'ECONNREFUSED' }) }),
      expect.objectContaining({ severity: 'WARNING', res: { statusCode: 503 } }),
    ]);
  });
});
