import { Client } from 'pg';
import { ApiUnderTest, type SeededTenant } from '../../api.int-kit';
import { PublishedEvents } from '../../published-events.int-kit';

async function tenantRows<T>(tenant: SeededTenant, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: tenant.databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('POST /v1/metrics/refresh and GET /v1/metrics/runs/{id}', () => {
  let events: PublishedEvents;
  let api: ApiUnderTest;
  let tenant: SeededTenant;
  let other: SeededTenant;

  beforeAll(async () => {
    events = await PublishedEvents.start('metrics.refresh-requested.v1');
    api = await ApiUnderTest.start(events.env());
    tenant = await api.seedTenant('runs');
    other = await api.seedTenant('runs-other');
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await events?.stop();
  });

  it('queues a run (202), publishes metrics.refresh-requested.v1, and shows the run', async () => {
    const created = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '2026-11-01' } });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({
      status: 'queued',
      reason: 'manual',
      asOf: '2026-11-01',
      startedAt: null,
      finishedAt: null,
      error: null,
      coveredByRunId: null,
      timings: {},
      rowCounts: {},
    });
    const runId = created.body['id'] as string;

    const event = await events.waitFor((e) => e.data['runId'] === runId);
    expect(event.data).toEqual({ runId, asOf: '2026-11-01', reason: 'manual' });
    expect(event.attributes['tenantId']).toBe(tenant.tenantId);

    const run = await api.get(`/v1/metrics/runs/${runId}`, { key: tenant.apiKey });
    expect(run.status).toBe(200);
    expect(run.body).toEqual(created.body);
    expect(run.headers.get('etag')).toMatch(/^W\//);

    // The event is also in the tenant's outbox, marked published (nothing left for a relay).
    const outbox = await tenantRows<{ published_at: Date | null }>(tenant, `SELECT published_at FROM outbox WHERE payload->>'runId' = $1`, [runId]);
    expect(outbox).toHaveLength(1);
    expect(outbox[0]?.published_at).not.toBeNull();
  });

  it('shows what the metrics service recorded: timings and row counts, or the run a coalesced request was covered by', async () => {
    const ran = (await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: {} })).body['id'] as string;
    const coalesced = (await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: {} })).body['id'] as string;
    // As the metrics service leaves them (apps/metrics, "Metrics runs" in docs/metrics.md).
    await api.tenantSql(
      tenant,
      `UPDATE metric_runs SET status = 'succeeded', started_at = '2026-11-26T10:00:00Z', finished_at = '2026-11-26T10:00:05Z',
              timings = '{"customer_kpis": 1200, "total": 5000}', row_counts = '{"customer_kpis": 3}' WHERE id = $1`,
      [ran],
    );
    await api.tenantSql(
      tenant,
      `UPDATE metric_runs SET status = 'succeeded', started_at = '2026-11-26T10:00:00Z', finished_at = '2026-11-26T10:00:05Z', covered_by_run_id = $2 WHERE id = $1`,
      [coalesced, ran],
    );

    expect((await api.get(`/v1/metrics/runs/${ran}`, { key: tenant.apiKey })).body).toMatchObject({
      status: 'succeeded',
      startedAt: '2026-11-26T10:00:00.000Z',
      finishedAt: '2026-11-26T10:00:05.000Z',
      coveredByRunId: null,
      timings: { customer_kpis: 1200, total: 5000 },
      rowCounts: { customer_kpis: 3 },
    });
    expect((await api.get(`/v1/metrics/runs/${coalesced}`, { key: tenant.apiKey })).body).toMatchObject({ status: 'succeeded', coveredByRunId: ran, timings: {} });
  });

  it('accepts an empty body (as of today) and refuses unknown fields and bad dates field by field', async () => {
    const today = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: {} });
    expect(today.status).toBe(202);
    expect(today.body['asOf']).toBeNull();

    const bad = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '2026-13-45', extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const fields = (bad.body['errors'] as Array<{ field: string }>).map((error) => error.field).sort();
    expect(fields).toEqual(['body.asOf', 'body.extra'].sort());
  });

  it('refuses an asOf in year 0000, which PostgreSQL has not, naming it', async () => {
    const response = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '0000-01-01' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body['errors']).toEqual([expect.objectContaining({ field: 'body.asOf' })]);
  });

  it("returns 404 for an unknown run and for another tenant's run", async () => {
    const created = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: {} });
    const foreign = await api.get(`/v1/metrics/runs/${created.body['id'] as string}`, { key: other.apiKey });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ code: 'metric_run.not_found' });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body, creating one run', async () => {
      const key = 'refresh-1';
      const first = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '2026-10-01' }, headers: { 'idempotency-key': key } });
      expect(first.status).toBe(202);
      const second = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '2026-10-01' }, headers: { 'idempotency-key': key } });
      expect(second.status).toBe(202);
      expect(second.text).toBe(first.text); // byte for byte, key order included
      expect(second.headers.get('idempotent-replayed')).toBe('true');

      const runs = await tenantRows(tenant, `SELECT id FROM metric_runs WHERE as_of = '2026-10-01'`);
      expect(runs).toHaveLength(1);
    });

    it('refuses the same key with a different body: 422 idempotency_key_reused', async () => {
      const key = 'refresh-2';
      await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '2026-09-01' }, headers: { 'idempotency-key': key } });
      const reused = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '2026-09-02' }, headers: { 'idempotency-key': key } });
      expect(reused.status).toBe(422);
      expect(reused.headers.get('content-type')).toContain('application/problem+json');
      expect(reused.body).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    });

    it('scopes keys per tenant', async () => {
      const key = 'shared-key';
      const mine = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: {}, headers: { 'idempotency-key': key } });
      const theirs = await api.request('POST', '/v1/metrics/refresh', { key: other.apiKey, body: {}, headers: { 'idempotency-key': key } });
      expect(theirs.status).toBe(202);
      expect(theirs.headers.get('idempotent-replayed')).toBeNull();
      expect(theirs.body['id']).not.toBe(mine.body['id']);
    });

    it('answers a concurrent duplicate with 409 idempotency_key_in_progress, or the replay once the first finished', async () => {
      const key = 'refresh-concurrent';
      const send = () => api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '2026-08-01' }, headers: { 'idempotency-key': key } });
      const responses = await Promise.all([send(), send(), send(), send()]);
      const created = responses.filter((r) => r.status === 202 && r.headers.get('idempotent-replayed') === null);
      expect(created).toHaveLength(1);
      for (const response of responses) {
        if (response.status === 409) expect(response.body).toMatchObject({ code: 'idempotency_key_in_progress' });
        else expect(response.body['id']).toBe(created[0]?.body['id']);
      }
      expect(await tenantRows(tenant, `SELECT id FROM metric_runs WHERE as_of = '2026-08-01'`)).toHaveLength(1);
    });

    it('answers 409 idempotency_key_in_progress while the first request with the key is running', async () => {
      // The first request's record, as it is between claiming the key and completing it.
      const { requestFingerprint } = await import('../../http/idempotency/request-fingerprint');
      const hash = requestFingerprint('POST', '/v1/metrics/refresh', {});
      await api.tenantSql(tenant, `INSERT INTO idempotency_keys (key, request_hash, expires_at) VALUES ('running-key', $1, now() + interval '1 hour')`, [hash]);
      const duplicate = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: {}, headers: { 'idempotency-key': 'running-key' } });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toMatchObject({ status: 409, code: 'idempotency_key_in_progress' });
    });

    it('lets a retry run again after a failed request, and refuses a malformed key', async () => {
      const key = 'refresh-after-400';
      const invalid = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: 'nope' }, headers: { 'idempotency-key': key } });
      expect(invalid.status).toBe(400);
      const fixed = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '2026-07-01' }, headers: { 'idempotency-key': key } });
      expect(fixed.status).toBe(202);

      const malformed = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: {}, headers: { 'idempotency-key': 'has space' } });
      expect(malformed.status).toBe(400);
      expect(malformed.body['errors']).toEqual([expect.objectContaining({ field: 'header.idempotency-key' })]);
    });
  });
});

describe('POST /v1/metrics/refresh while Pub/Sub is down', () => {
  let api: ApiUnderTest;
  let tenant: SeededTenant;

  beforeAll(async () => {
    // The kit's Pub/Sub address answers nothing; topics are not created on the fly, as in production.
    api = await ApiUnderTest.start({ PUBSUB_AUTO_CREATE: 'false' });
    tenant = await api.seedTenant('runs-pubsub-down');
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
  });

  // The publisher's own timeout is 15 s per attempt: the response must not wait for it.
  it('answers 202 without waiting for the publish, leaving the event in the outbox for the sweeper', async () => {
    const created = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: {} });
    expect(created.status).toBe(202);
    const outbox = await tenantRows<{ published_at: Date | null }>(tenant, `SELECT published_at FROM outbox WHERE payload->>'runId' = $1`, [created.body['id']]);
    expect(outbox).toEqual([{ published_at: null }]);
  }, 10_000);
});
