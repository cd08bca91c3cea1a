import type { StartedProcess } from '@pulse/testing';
import { ApiUnderTest, type SeededTenant } from './api.int-kit';

// Request logs as an operator reads them: the built api as a process, its JSON log lines on stdout.
// Every request is logged once with its correlation id, and a tenant request with its tenant id.

describe('request logs', () => {
  let seeded: ApiUnderTest;
  let tenant: SeededTenant;
  let api: StartedProcess;
  let baseUrl: string;

  beforeAll(async () => {
    seeded = await ApiUnderTest.start();
    tenant = await seeded.seedTenant('logs');
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

    await api.waitForLine(/"correlationId":"log-test-2"/, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the completion line follows the error line, if any
    const completed = logLines().filter((line) => line.correlationId === 'log-test-2' && line.res !== undefined);
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
});
