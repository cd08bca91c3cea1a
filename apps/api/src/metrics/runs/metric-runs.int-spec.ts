import { localDateOf } from '@pulse/metric-catalog';
import { Client } from 'pg';
import { ApiUnderTest, type SeededTenant } from '../../api.int-kit';
import { PublishedEvents } from '../../published-events.int-kit';

/** YYYY-MM-DD `days` after a YYYY-MM-DD. */
function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

async function tenantRows<T>(tenant: SeededTenant, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: tenant.databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Waits until `count` sessions of the tenant's database wait for a lock. Asked on a connection of its
 * own: a transaction sees pg_stat_activity as it was at its first look.
 */
async function waitForLockWaiters(tenant: SeededTenant, count: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const [row] = await tenantRows<{ waiting: number }>(tenant, `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    if ((row?.waiting ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`fewer than ${count} sessions waited for a lock within 5 s`);
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
      errorCode: null,
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

  describe('a failed run', () => {
    const serverPath = '/var/lib/pulse/metrics/6c1f0d6e/customer_kpis.csv';

    async function failedRun(set: { errorCode: string | null; error: string }): Promise<string> {
      const id = (await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: {} })).body['id'] as string;
      await api.tenantSql(
        tenant,
        `UPDATE metric_runs SET status = 'failed', started_at = '2026-11-26T10:00:00Z', finished_at = '2026-11-26T10:00:05Z', error_code = $2, error = $3 WHERE id = $1`,
        [id, set.errorCode, set.error],
      );
      return id;
    }

    it('shows the error code and the message the metrics service recorded for the client', async () => {
      // As apps/metrics records bad data: the KPI table, row, column and value (no file).
      const message = 'KPI table customer_kpis, row 2, column revenue_total, value "1e40": numeric field overflow (A field with precision 38, scale 4 must round to an absolute value less than 10^34.)';
      const id = await failedRun({ errorCode: 'invalid_data', error: message });
      const run = await api.get(`/v1/metrics/runs/${id}`, { key: tenant.apiKey });
      expect(run.status).toBe(200);
      expect(run.body).toMatchObject({ status: 'failed', errorCode: 'invalid_data', error: message });
    });

    it('never shows an error recorded without a code (by a metrics service older than error codes): internal, and no server path', async () => {
      const raw = `KPI file ${serverPath}, row 2, column revenue_total, value "1e40": numeric field overflow`;
      const id = await failedRun({ errorCode: null, error: raw });
      const run = await api.request('GET', `/v1/metrics/runs/${id}`, { key: tenant.apiKey });
      expect(run.body).toMatchObject({ status: 'failed', errorCode: 'internal', error: expect.stringContaining("metrics service's log") });
      expect(run.text).not.toContain(serverPath);
      expect(run.text).not.toContain('numeric field overflow');
    });

    it('shows a code added by a newer metrics service as internal, with its message', async () => {
      const id = await failedRun({ errorCode: 'warehouse_on_fire', error: 'The warehouse is on fire; a later refresh may succeed.' });
      const run = await api.get(`/v1/metrics/runs/${id}`, { key: tenant.apiKey });
      expect(run.body).toMatchObject({ status: 'failed', errorCode: 'internal', error: 'The warehouse is on fire; a later refresh may succeed.' });
    });

    it('documents the codes in /openapi.json', async () => {
      const paths = (await api.get('/openapi.json')).body['paths'] as Record<string, Record<string, unknown>>;
      const text = JSON.stringify(paths['/v1/metrics/runs/{id}']?.['get']);
      for (const code of ['invalid_settings', 'invalid_scorecard', 'invalid_data', 'warehouse_load_failed', 'warehouse_unavailable', 'warehouse_limit_exceeded', 'database_unavailable', 'internal']) {
        expect(text).toContain(code);
      }
    });
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

  describe('bounds of asOf: from 1970-01-01 to the day after today in the tenant timezone', () => {
    // A run writes a series point per day, week and month up to its as-of day: 9999-12-31 meant tens of millions of rows.
    it.each([
      ['a far future day', '9999-12-31'],
      ['year 1', '0001-01-01'],
      ['the day before the lower bound', '1969-12-31'],
    ])('refuses %s with 400 naming body.asOf and the allowed range', async (_case, asOf) => {
      const response = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf } });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const tomorrow = addDays(localDateOf(new Date(), 'UTC'), 1);
      expect(response.body['errors']).toEqual([
        { field: 'body.asOf', code: 'out_of_range', message: `asOf must be from 1970-01-01 to ${tomorrow} (the day after today in the tenant's timezone, UTC)` },
      ]);
      expect(await tenantRows(tenant, `SELECT id FROM metric_runs WHERE as_of = $1::date`, [asOf])).toEqual([]);
    });

    it('accepts the lower bound and the day after today, which depends on the tenant timezone', async () => {
      expect((await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '1970-01-01' } })).status).toBe(202);
      // Kiritimati (UTC+14) is always at least a day ahead of Pago Pago (UTC-11).
      const ahead = await api.seedTenant('runs-kiritimati', { settings: { timezone: 'Pacific/Kiritimati' } });
      const behind = await api.seedTenant('runs-pago-pago', { settings: { timezone: 'Pacific/Pago_Pago' } });
      const latest = addDays(localDateOf(new Date(), 'Pacific/Kiritimati'), 1);
      const accepted = await api.request('POST', '/v1/metrics/refresh', { key: ahead.apiKey, body: { asOf: latest } });
      expect([accepted.status, accepted.body['asOf']]).toEqual([202, latest]);
      const refused = await api.request('POST', '/v1/metrics/refresh', { key: behind.apiKey, body: { asOf: latest } });
      expect(refused.status).toBe(400);
      expect(refused.body['errors']).toEqual([expect.objectContaining({ field: 'body.asOf', message: expect.stringContaining("the tenant's timezone, Pacific/Pago_Pago") })]);
    });

    it("answers 422 tenant.invalid_timezone for an asOf when the tenant's timezone setting is no IANA name, and queues a run without one", async () => {
      const broken = await api.seedTenant('runs-bad-zone', { settings: { timezone: 'Mars/Olympus' } });
      const dated = await api.request('POST', '/v1/metrics/refresh', { key: broken.apiKey, body: { asOf: '2026-01-01' } });
      expect(dated.status).toBe(422);
      expect(dated.body).toMatchObject({ status: 422, code: 'tenant.invalid_timezone' });
      expect((await api.request('POST', '/v1/metrics/refresh', { key: broken.apiKey, body: {} })).status).toBe(202);
    });

    it('documents the range in /openapi.json', async () => {
      const paths = (await api.get('/openapi.json')).body['paths'] as Record<string, Record<string, unknown>>;
      const text = JSON.stringify(paths['/v1/metrics/refresh']?.['post']);
      expect(text).toContain('from 1970-01-01 to the day after today in the tenant');
      expect(text).toContain('tenant.invalid_timezone');
    });
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

    it('takes a retry that sends {} where the first request sent no body as the same request', async () => {
      const key = 'refresh-no-body';
      const first = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, headers: { 'idempotency-key': key } });
      expect(first.status).toBe(202);
      const retry = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: {}, headers: { 'idempotency-key': key } });
      expect(retry.status).toBe(202);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body['id']).toBe(first.body['id']);
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

    it('takes over a key whose first request died holding it only for that same request: another body is 422', async () => {
      // The record a request leaves when its replica dies between claiming the key and completing it,
      // its 60 s lease long gone: it may have queued its run, so the key stays bound to its body.
      const { requestFingerprint } = await import('../../http/idempotency/request-fingerprint');
      const stale = (key: string, body: unknown) =>
        api.tenantSql(tenant, `INSERT INTO idempotency_keys (key, request_hash, expires_at, created_at) VALUES ($1, $2, now() + interval '1 hour', now() - interval '2 minutes')`, [
          key,
          requestFingerprint('POST', '/v1/metrics/refresh', body),
        ]);
      await stale('died-1', { asOf: '2026-05-01' });
      const other = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '2026-05-02' }, headers: { 'idempotency-key': 'died-1' } });
      expect(other.status).toBe(422);
      expect(other.body).toMatchObject({ code: 'idempotency_key_reused' });
      const same = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body: { asOf: '2026-05-01' }, headers: { 'idempotency-key': 'died-1' } });
      expect(same.status).toBe(202);
      expect(same.headers.get('idempotent-replayed')).toBeNull();
    });

    it('keeps a key taken over by a retry from the request that outlived its lease: one run, the retry\'s, replayed after', async () => {
      const body = { asOf: '2026-03-01' };
      const send = () => api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body, headers: { 'idempotency-key': 'outlived' } });
      const blocker = new Client({ connectionString: tenant.databaseUrl });
      await blocker.connect();
      try {
        // Holds every insert into metric_runs: a request waits there with its key claimed.
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE metric_runs IN SHARE ROW EXCLUSIVE MODE');
        const first = send();
        await waitForLockWaiters(tenant, 1);
        // The first request's lease runs out (as after 60 s) and the client's retry takes the key over.
        await api.tenantSql(tenant, `UPDATE idempotency_keys SET created_at = created_at - interval '2 minutes' WHERE key = 'outlived'`);
        const retry = send();
        await waitForLockWaiters(tenant, 2);
        await blocker.query('COMMIT');

        const [outlived, retried] = await Promise.all([first, retry]);
        expect(outlived.status).toBe(409);
        expect(outlived.body).toMatchObject({ code: 'idempotency_key_in_progress' });
        expect(retried.status).toBe(202);
        // Before: both queued a run, and the first's response was recorded over the retry's claim.
        expect(await tenantRows(tenant, `SELECT id FROM metric_runs WHERE as_of = '2026-03-01'`)).toEqual([{ id: retried.body['id'] }]);
        const again = await send();
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        expect(again.body['id']).toBe(retried.body['id']);
      } finally {
        await blocker.end();
      }
    });

    it('replays the run to a retry whose first answer was lost after the commit, instead of queuing another', async () => {
      // The run and the key's response commit, then the connection drops before the answer.
      const body = { asOf: '2026-04-01' };
      const lost = await api.withNextCommitAnswerLost(() => api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body, headers: { 'idempotency-key': 'lost-answer' } }));
      expect(lost.status).toBe(503);
      expect(lost.body).toMatchObject({ code: 'database_unavailable' });
      const retry = await api.request('POST', '/v1/metrics/refresh', { key: tenant.apiKey, body, headers: { 'idempotency-key': 'lost-answer' } });
      expect(retry.status).toBe(202);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      // Before: the lost request's key was freed, and the retry queued a second run.
      expect(await tenantRows(tenant, `SELECT id FROM metric_runs WHERE as_of = '2026-04-01'`)).toEqual([{ id: retry.body['id'] }]);
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
