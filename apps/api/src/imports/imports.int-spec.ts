import type { ImportMapping } from '@pulse/contracts';
import { parseImportStream } from '@pulse/parsing';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { waitFor } from '@pulse/testing';
import { Client } from 'pg';
import { ApiUnderTest, type SeededTenant } from '../api.int-kit';
import { PublishedEvents } from '../published-events.int-kit';

async function tenantRows<T>(tenant: SeededTenant, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: tenant.databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function filesUnder(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.relative(folder, path.join(e.parentPath, e.name)));
  } catch {
    return [];
  }
}

/** A header value as its UTF-8 bytes go on the wire (what curl sends for `Código`; fetch sends characters up to U+00FF as one byte). */
const utf8Bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

const CSV = 'external_id,name,email\nc1,Ana,ana@example.com\nc2,"Bruno, Jr.",bruno@example.com\n';

describe('imports API: POST /v1/imports/{entity}, GET /v1/imports[/{id}[/errors]] (real PostgreSQL, Pub/Sub emulator)', () => {
  let events: PublishedEvents;
  let api: ApiUnderTest;
  let storageDir: string;
  let tenant: SeededTenant;
  let other: SeededTenant;

  const upload = (entity: string, body: string | Buffer, options: { key?: string; contentType?: string; query?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${api.baseUrl}/v1/imports/${entity}${options.query ? `?${options.query}` : ''}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.key ?? tenant.apiKey}`, 'content-type': options.contentType ?? 'text/csv', ...options.headers },
      body,
    }).then(async (response) => {
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    });

  beforeAll(async () => {
    storageDir = await mkdtemp(path.join(tmpdir(), 'pulse-api-imports-'));
    events = await PublishedEvents.start('ingestion.requested.v1');
    api = await ApiUnderTest.start({ ...events.env(), PULSE_STORAGE_DIR: storageDir, IMPORT_MAX_BYTES: String(2 * 1024 * 1024) });
    tenant = await api.seedTenant('imports');
    other = await api.seedTenant('imports-other');
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await events?.stop();
    await rm(storageDir, { recursive: true, force: true });
  });

  it('stores the CSV under the tenant, queues the import (202) and publishes ingestion.requested.v1', async () => {
    const created = await upload('customers', CSV, { query: 'mode=replace&onUnknownReference=create_stub&maxRejectedShare=0.25' });
    expect(created.status).toBe(202);
    const importId = created.body['importId'] as string;
    expect(created.body).toEqual({ importId, status: 'queued', links: { self: `/v1/imports/${importId}`, errors: `/v1/imports/${importId}/errors` } });

    const event = await events.waitFor((e) => e.data['importId'] === importId);
    expect(event.attributes['tenantId']).toBe(tenant.tenantId);
    const origin = event.data['origin'] as { kind: string; objectUri: string; format: string };
    expect(event.data).toMatchObject({ importId, entity: 'customers', mode: 'replace' });
    expect(origin).toMatchObject({ kind: 'upload', format: 'csv' });
    const storedFile = fileURLToPath(origin.objectUri);
    expect(path.relative(storageDir, storedFile)).toBe(`tenants/${tenant.tenantId}/imports/${importId}/upload.csv`);
    expect(await readFile(storedFile, 'utf8')).toBe(CSV);

    const shown = await api.get(`/v1/imports/${importId}`, { key: tenant.apiKey });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      id: importId,
      entity: 'customers',
      status: 'queued',
      mode: 'replace',
      format: 'csv',
      origin: 'upload',
      sourceId: null,
      onUnknownReference: 'create_stub',
      maxRejectedShare: 0.25,
      rowsReceived: 0,
      rowsLoaded: 0,
      rowsRejected: 0,
      rowsDeleted: 0,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      timings: {},
      errorCode: null,
      error: null,
    });
    // As the loader records a replace's deletes (apps/ingestion import-loader.int-spec.ts checks the column).
    await tenantRows(tenant, `UPDATE imports SET rows_deleted = 7 WHERE id = $1`, [importId]);
    expect((await api.get(`/v1/imports/${importId}`, { key: tenant.apiKey })).body).toMatchObject({ rowsDeleted: 7 });
    const outbox = await tenantRows<{ topic: string; published_at: Date | null }>(tenant, `SELECT topic, published_at FROM outbox WHERE payload->>'importId' = $1`, [importId]);
    expect(outbox).toEqual([{ topic: 'ingestion.requested.v1', published_at: expect.any(Date) }]);
  });

  it('accepts NDJSON with a valid mapping in the Import-Mapping header, and defaults to upsert/reject/10 %', async () => {
    const mapping = { columns: { id: 'external_id', cliente: 'customer_external_id', quando: 'ordered_at' }, constants: { currency: 'BRL' } };
    const created = await upload('orders', '{"id":"o1","cliente":"c1","quando":"2026-01-02T03:04:05Z"}\n', {
      contentType: 'application/x-ndjson',
      headers: { 'import-mapping': JSON.stringify(mapping) },
    });
    expect(created.status).toBe(202);
    const importId = created.body['importId'] as string;
    const event = await events.waitFor((e) => e.data['importId'] === importId);
    expect(event.data).toMatchObject({ entity: 'orders', mode: 'upsert', mapping, origin: { kind: 'upload', format: 'ndjson' } });
    expect((await api.get(`/v1/imports/${importId}`, { key: tenant.apiKey })).body).toMatchObject({ onUnknownReference: 'reject', maxRejectedShare: 0.1, format: 'ndjson' });
  });

  it('refuses other media types with 415 problem+json', async () => {
    for (const contentType of ['application/json', 'text/plain']) {
      const refused = await upload('customers', contentType === 'application/json' ? '{"a":1}' : 'a,b\n', { contentType });
      expect(refused.status).toBe(415);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    }
    // Other routes keep refusing CSV as they did before imports existed.
    const elsewhere = await fetch(`${api.baseUrl}/v1/metrics/refresh`, { method: 'POST', headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'text/csv' }, body: 'a\n' });
    expect(elsewhere.status).toBe(415);
  });

  it('answers any other media type, or none, with 401 without a key and with the 415 naming the upload types with one', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', undefined, 'nonsense']) {
      const send = (authorization?: string) =>
        fetch(`${api.baseUrl}/v1/imports/customers`, {
          method: 'POST',
          headers: { ...(contentType ? { 'content-type': contentType } : {}), ...(authorization ? { authorization } : {}) },
          body: Buffer.from('external_id,name\nc1,Ana\n'),
        }).then(async (response) => ({ status: response.status, contentType: response.headers.get('content-type'), body: JSON.parse(await response.text()) as Record<string, unknown> }));
      for (const authorization of [undefined, `Bearer pulse_${'A'.repeat(12)}_${'b'.repeat(32)}`]) {
        const anonymous = await send(authorization);
        expect([contentType, authorization, anonymous.status, anonymous.body['code']]).toEqual([contentType, authorization, 401, authorization ? 'auth.invalid_api_key' : 'auth.missing_api_key']);
      }
      const refused = await send(`Bearer ${tenant.apiKey}`);
      expect([contentType, refused.status, refused.contentType]).toEqual([contentType, 415, expect.stringContaining('application/problem+json')]);
      expect(refused.body).toMatchObject({ status: 415, code: 'unsupported_media_type', detail: expect.stringContaining('Send the file as text/csv or application/x-ndjson') });
    }
    expect(await tenantRows(tenant, `SELECT id FROM imports WHERE format NOT IN ('csv', 'ndjson')`)).toEqual([]);
  });

  it('answers a JSON body with 415 whatever it holds (valid, malformed, empty), once the key is checked', async () => {
    for (const body of ['{"external_id":"c1"}', '{bad', '']) {
      const refused = await upload('customers', body, { contentType: 'application/json' });
      expect([body, refused.status, refused.headers.get('content-type')]).toEqual([body, 415, expect.stringContaining('application/problem+json')]);
      expect(refused.body).toMatchObject({ status: 415, code: 'unsupported_media_type' });

      // Authentication still comes first: no key, or a bad one, learns nothing about the request.
      for (const authorization of [undefined, `Bearer pulse_${'A'.repeat(12)}_${'b'.repeat(32)}`]) {
        const anonymous = await fetch(`${api.baseUrl}/v1/imports/customers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body,
        });
        expect([body, authorization, anonymous.status]).toEqual([body, authorization, 401]);
      }
    }
  });

  it('refuses a bad mapping, an unknown entity and bad options with 400 naming the field, storing nothing', async () => {
    const before = await filesUnder(path.join(storageDir, 'tenants', other.tenantId));
    const badField = await upload('customers', CSV, { key: other.apiKey, query: `mapping=${encodeURIComponent(JSON.stringify({ columns: { Nome: 'full_name' } }))}` });
    expect(badField.status).toBe(400);
    expect(badField.headers.get('content-type')).toContain('application/problem+json');
    expect(badField.body['errors']).toEqual([expect.objectContaining({ field: 'query.mapping.columns.Nome', message: expect.stringContaining('unknown canonical field "full_name"') })]);

    const notJson = await upload('customers', CSV, { key: other.apiKey, query: 'mapping=%7Bnope' });
    expect(notJson.body['errors']).toEqual([expect.objectContaining({ field: 'query.mapping', code: 'invalid_json' })]);

    const unknownEntity = await upload('invoices', CSV, { key: other.apiKey });
    expect(unknownEntity.status).toBe(400);
    expect((unknownEntity.body['errors'] as Array<{ field: string }>).map((e) => e.field)).toEqual(['path.entity']);

    const badOptions = await upload('customers', CSV, { key: other.apiKey, query: 'mode=merge&maxRejectedShare=2' });
    expect((badOptions.body['errors'] as Array<{ field: string }>).map((e) => e.field).sort()).toEqual(['query.maxRejectedShare', 'query.mode']);

    // An empty share is not 0 (which would fail the import on its first rejected row).
    const emptyShare = await upload('customers', CSV, { key: other.apiKey, query: 'maxRejectedShare=' });
    expect(emptyShare.status).toBe(400);
    expect(emptyShare.headers.get('content-type')).toContain('application/problem+json');
    expect(emptyShare.body['errors']).toEqual([expect.objectContaining({ field: 'query.maxRejectedShare' })]);

    // JSON's \u0000 escape decodes to NUL, which the stored mapping (jsonb) cannot hold.
    const nulInMapping = await upload('customers', CSV, { key: other.apiKey, query: `mapping=${encodeURIComponent('{"columns":{"Nome":"name","id":"external_id"},"constants":{"segment":"\\u0000"}}')}` });
    expect(nulInMapping.status).toBe(400);
    expect(nulInMapping.headers.get('content-type')).toContain('application/problem+json');
    expect(nulInMapping.body['errors']).toEqual([expect.objectContaining({ field: 'query.mapping.constants.segment', code: 'nul_character' })]);
    expect(await filesUnder(path.join(storageDir, 'tenants', other.tenantId))).toEqual(before);
  });

  it('names the bad option of a column given as an object, with the values it takes (400)', async () => {
    const cases: Array<[mapping: unknown, field: string, allowed: string]> = [
      [{ columns: { a: { field: 'customer_since', dateFormat: 'yyyy/dd/mm' } } }, 'header.import-mapping.columns.a.dateFormat', '"yyyy-mm-dd"|"dd/mm/yyyy"|"mm/dd/yyyy"'],
      [{ columns: { a: { field: 'aliases', transforms: ['reverse'] } } }, 'header.import-mapping.columns.a.transforms.0', '"trim"|"lowercase"|"uppercase"'],
    ];
    for (const [mapping, field, allowed] of cases) {
      const refused = await upload('customers', CSV, { key: other.apiKey, headers: { 'import-mapping': JSON.stringify(mapping) } });
      expect([mapping, refused.status, refused.headers.get('content-type')]).toEqual([mapping, 400, expect.stringContaining('application/problem+json')]);
      expect([mapping, refused.body['errors']]).toEqual([mapping, [{ field, code: 'invalid_value', message: expect.stringContaining(allowed) }]]);
    }
  });

  it('refuses at once, 400 naming the field, a mapping the loader would refuse or ignore: a column named twice, an option its target cannot use', async () => {
    const own = await api.seedTenant('imports-mappings');
    const cases: Array<[entity: string, mapping: unknown, field: string, code: string]> = [
      // Header names are compared normalised (case, accents, punctuation): these name one column twice.
      ['customers', { columns: { Region: 'custom.r', region: 'custom.s' } }, 'header.import-mapping.columns.region', 'duplicate_column'],
      ['customers', { columns: { 'Região ': null, regiao: 'custom.r' } }, 'header.import-mapping.columns.regiao', 'duplicate_column'],
      ['customers', { columns: { id: 'external_id', Nome: { field: 'name', split: ';' } } }, 'header.import-mapping.columns.Nome.split', 'inapplicable_option'],
      ['customers', { columns: { id: 'external_id', Nome: { field: 'name', dateFormat: 'dd/mm/yyyy' } } }, 'header.import-mapping.columns.Nome.dateFormat', 'inapplicable_option'],
      ['orders', { columns: { Pedido: { field: 'external_id', decimalSeparator: ',' } } }, 'header.import-mapping.columns.Pedido.decimalSeparator', 'inapplicable_option'],
      ['orders', { columns: { Data: { field: 'ordered_at', decimalSeparator: ',' } } }, 'header.import-mapping.columns.Data.decimalSeparator', 'inapplicable_option'],
      ['nps_responses', { columns: { Nota: { field: 'score', decimalSeparator: ',' } } }, 'header.import-mapping.columns.Nota.decimalSeparator', 'inapplicable_option'],
      ['orders', { columns: { Valor: { field: 'total', split: '|' } } }, 'header.import-mapping.columns.Valor.split', 'inapplicable_option'],
      // Custom columns keep their inferred type: the loader applies no column option to them.
      ['customers', { columns: { Desde: { field: 'custom.desde', dateFormat: 'dd/mm/yyyy' } } }, 'header.import-mapping.columns.Desde.dateFormat', 'inapplicable_option'],
      ['customers', { columns: { Zona: { field: 'custom.zona', transforms: ['trim'] } } }, 'header.import-mapping.columns.Zona.transforms', 'inapplicable_option'],
      // Two columns into one custom key would keep one value per row (the loader fails such a file).
      ['customers', { columns: { Regiao: 'custom.area', Zona: { field: 'custom.area' } } }, 'header.import-mapping.columns.Zona.field', 'duplicate_target'],
    ];
    for (const [entity, mapping, field, code] of cases) {
      const refused = await upload(entity, CSV, { key: own.apiKey, headers: { 'import-mapping': utf8Bytes(JSON.stringify(mapping)) } });
      expect([mapping, refused.status, refused.headers.get('content-type')]).toEqual([mapping, 400, expect.stringContaining('application/problem+json')]);
      expect([mapping, refused.body['errors']]).toEqual([mapping, [expect.objectContaining({ field, code })]]);
    }
    // The same options where they apply are accepted.
    const fitting = { columns: { Pedido: 'external_id', Cliente: 'customer_external_id', Data: { field: 'ordered_at', dateFormat: 'dd/mm/yyyy' }, Valor: { field: 'total', decimalSeparator: ',', transforms: ['trim'] } } };
    const accepted = await upload('orders', 'Pedido,Cliente,Data,Valor\n', { key: own.apiKey, query: `mapping=${encodeURIComponent(JSON.stringify(fitting))}` });
    expect(accepted.status).toBe(202);
    expect(await filesUnder(path.join(storageDir, 'tenants', own.tenantId))).toEqual([`imports/${accepted.body['importId'] as string}/upload.csv`]);
  });

  it('refuses a constant for a field a CSV column is mapped to (the column would always win), and takes it as a default in NDJSON', async () => {
    const own = await api.seedTenant('imports-constants');
    for (const mapping of [{ columns: { Email: 'email' }, constants: { email: 'x@y' } }, { columns: { id: 'external_id', Correio: { field: 'email', transforms: ['trim'] } }, constants: { email: 'x@y' } }]) {
      const refused = await upload('customers', 'id,Email\nc1,a@b\n', { key: own.apiKey, headers: { 'import-mapping': JSON.stringify(mapping) } });
      expect([mapping, refused.status, refused.headers.get('content-type')]).toEqual([mapping, 400, expect.stringContaining('application/problem+json')]);
      expect([mapping, refused.body['errors']]).toEqual([mapping, [expect.objectContaining({ field: 'header.import-mapping.constants.email', code: 'duplicate_target' })]]);
    }
    expect(await filesUnder(path.join(storageDir, 'tenants', own.tenantId))).toEqual([]);

    // A column mapped to null feeds nothing: the constant fills the field.
    const ignored = await upload('customers', 'external_id,Email\nc1,a@b\n', { key: own.apiKey, headers: { 'import-mapping': JSON.stringify({ columns: { Email: null }, constants: { email: 'x@y' } }) } });
    expect(ignored.status).toBe(202);
    // An NDJSON record may leave the key out: the constant fills the field in those records.
    const ndjson = await upload('customers', '{"external_id":"c1","Email":"a@b"}\n{"external_id":"c2"}\n', {
      key: own.apiKey,
      contentType: 'application/x-ndjson',
      headers: { 'import-mapping': JSON.stringify({ columns: { Email: 'email' }, constants: { email: 'x@y' } }) },
    });
    expect(ndjson.status).toBe(202);
  });

  it('cuts off an upload larger than IMPORT_MAX_BYTES with 413 and keeps none of it', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    const tooLarge = await upload('customers', big, { key: other.apiKey });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(await filesUnder(path.join(storageDir, 'tenants', other.tenantId))).toEqual([]);
    expect(await tenantRows(other, 'SELECT id FROM imports')).toEqual([]);
  });

  it('gives up, keeping nothing, an upload whose client went away before its body was read', async () => {
    const own = await api.seedTenant('imports-gone');
    // The pending-imports count waits on this lock: the client leaves while the server has not yet read its body.
    const holder = new Client({ connectionString: own.databaseUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE imports IN ACCESS EXCLUSIVE MODE');
    const { hostname, port } = new URL(api.baseUrl);
    const request = http.request({
      host: hostname,
      port,
      method: 'POST',
      path: '/v1/imports/customers',
      headers: { authorization: `Bearer ${own.apiKey}`, 'content-type': 'text/csv', 'transfer-encoding': 'chunked' },
    });
    request.on('error', () => undefined);
    request.write(CSV.slice(0, 20));
    // Another connection: the holder's transaction would keep seeing its first snapshot of pg_stat_activity.
    const watcher = new Client({ connectionString: own.databaseUrl });
    await watcher.connect();
    try {
      await waitFor(
        async () => (await watcher.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rowCount === 1,
        { description: 'the upload to wait on the locked imports table' },
      );
    } finally {
      await watcher.end();
    }
    request.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await holder.query('COMMIT');
    await holder.end();

    // Before, the body piped after the client had gone never ended: the file stayed open as a partial
    // upload, and the request never finished.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await filesUnder(path.join(storageDir, 'tenants', own.tenantId))).toEqual([]);
    expect(await tenantRows(own, 'SELECT id FROM imports')).toEqual([]);
    expect((await upload('customers', CSV, { key: own.apiKey })).status).toBe(202);
  });

  describe('Content-Encoding', () => {
    it('takes a gzip-compressed file, stores it decompressed, and binds the Idempotency-Key to the file, not to its coding', async () => {
      const own = await api.seedTenant('imports-gzip');
      const compressed = await upload('customers', gzipSync(CSV), { key: own.apiKey, headers: { 'content-encoding': 'gzip', 'idempotency-key': 'gz-1' } });
      expect(compressed.status).toBe(202);
      const importId = compressed.body['importId'] as string;
      const event = await events.waitFor((e) => e.data['importId'] === importId);
      expect(await readFile(fileURLToPath((event.data['origin'] as { objectUri: string }).objectUri), 'utf8')).toBe(CSV);

      const plain = await upload('customers', CSV, { key: own.apiKey, headers: { 'idempotency-key': 'gz-1' } });
      expect([plain.status, plain.headers.get('idempotent-replayed'), plain.body['importId']]).toEqual([202, 'true', importId]);
    });

    it('refuses another content coding with 415 and Accept-Encoding, and gzip that is not gzip with 400, storing nothing', async () => {
      const own = await api.seedTenant('imports-coding');
      const brotli = await upload('customers', CSV, { key: own.apiKey, headers: { 'content-encoding': 'br' } });
      expect([brotli.status, brotli.body['code'], brotli.headers.get('accept-encoding')]).toEqual([415, 'unsupported_media_type', 'gzip']);
      expect(brotli.body['detail']).toContain('Content-Encoding "br" is not supported');

      const notGzip = await upload('customers', CSV, { key: own.apiKey, headers: { 'content-encoding': 'gzip' } });
      expect([notGzip.status, notGzip.body['code']]).toEqual([400, 'invalid_content_encoding']);
      const truncated = await upload('customers', gzipSync(CSV).subarray(0, 30), { key: own.apiKey, headers: { 'content-encoding': 'gzip' } });
      expect([truncated.status, truncated.body['code']]).toEqual([400, 'invalid_content_encoding']);

      expect(await filesUnder(path.join(storageDir, 'tenants', own.tenantId))).toEqual([]);
      expect(await tenantRows(own, 'SELECT id FROM imports')).toEqual([]);
    });

    it('applies IMPORT_MAX_BYTES to the file decompressed (413 for a small body of a large file)', async () => {
      const own = await api.seedTenant('imports-gzip-bomb');
      const body = gzipSync(Buffer.alloc(3 * 1024 * 1024, 'x'));
      expect(body.length).toBeLessThan(64 * 1024);
      const tooLarge = await upload('customers', body, { key: own.apiKey, headers: { 'content-encoding': 'gzip' } });
      expect([tooLarge.status, tooLarge.body['code']]).toEqual([413, 'payload_too_large']);
      expect(await filesUnder(path.join(storageDir, 'tenants', own.tenantId))).toEqual([]);
    });
  });

  describe('headers with non-ASCII text', () => {
    /** What the ingestion service will load from an accepted upload: the stored file, parsed with the published mapping. */
    async function rowsToBeLoaded(importId: string): Promise<Array<{ values: Record<string, string | null>; custom: Record<string, unknown> }>> {
      const event = await events.waitFor((e) => e.data['importId'] === importId);
      const origin = event.data['origin'] as { objectUri: string };
      const rows: Array<{ values: Record<string, string | null>; custom: Record<string, unknown> }> = [];
      const options = { entity: 'customers' as const, format: 'csv' as const, mapping: event.data['mapping'] as ImportMapping | undefined, timezone: 'UTC' };
      for await (const batch of parseImportStream(createReadStream(fileURLToPath(origin.objectUri)), options)) {
        rows.push(...batch.rows.map((row) => ({ values: row.values, custom: row.custom })));
      }
      return rows;
    }

    it('reads the Import-Mapping header as UTF-8: accented column names map, and a column mapped to null is left out', async () => {
      const accents = await api.seedTenant('imports-accents');
      const file = 'Código,Nome,Região\nc1,Ana,Sul\n';
      const mapping = { columns: { Código: 'external_id', Nome: 'name', Região: null } };
      const created = await upload('customers', file, { key: accents.apiKey, headers: { 'import-mapping': utf8Bytes(JSON.stringify(mapping)) } });
      expect(created.status).toBe(202);
      const importId = created.body['importId'] as string;
      expect((await events.waitFor((e) => e.data['importId'] === importId)).data['mapping']).toEqual(mapping);
      expect(await rowsToBeLoaded(importId)).toEqual([{ values: expect.objectContaining({ external_id: 'c1', name: 'Ana' }), custom: {} }]);
    });

    it('refuses a header that is not UTF-8 with 400 naming it, rather than guessing, and stores nothing', async () => {
      const latin1 = await api.seedTenant('imports-latin1');
      // Sent as Latin-1 bytes (fetch writes characters up to U+00FF as one byte): `ã` is the byte E3, not UTF-8.
      const refused = await upload('customers', CSV, { key: latin1.apiKey, headers: { 'import-mapping': '{"columns":{"Região":null}}' } });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ field: 'header.import-mapping', code: 'invalid_encoding' })] });

      // An Idempotency-Key is visible ASCII: one with other characters is refused whatever their encoding.
      const key = await upload('customers', CSV, { key: latin1.apiKey, headers: { 'idempotency-key': utf8Bytes('clé-1') } });
      expect(key.status).toBe(400);
      expect(key.body).toMatchObject({ errors: [expect.objectContaining({ field: 'header.idempotency-key', code: 'invalid_format' })] });
      expect(await filesUnder(path.join(storageDir, 'tenants', latin1.tenantId))).toEqual([]);
      expect(await tenantRows(latin1, 'SELECT id FROM imports')).toEqual([]);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and bytes, keeping one import and one stored file', async () => {
      const first = await upload('customers', CSV, { headers: { 'idempotency-key': 'upload-1' } });
      const second = await upload('customers', CSV, { headers: { 'idempotency-key': 'upload-1' } });
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(await tenantRows(tenant, `SELECT id FROM imports WHERE idempotency_key = 'upload-1'`)).toEqual([{ id: first.body['importId'] }]);
      const stored = await filesUnder(path.join(storageDir, 'tenants', tenant.tenantId, 'imports'));
      expect(stored.filter((file) => file.startsWith(String(first.body['importId'])))).toHaveLength(1);
      expect(stored).toHaveLength((await tenantRows(tenant, 'SELECT id FROM imports')).length);
    });

    it('refuses the same key with other bytes (422) or another entity (422)', async () => {
      await upload('customers', CSV, { headers: { 'idempotency-key': 'upload-2' } });
      const otherBytes = await upload('customers', `${CSV}c3,Carla,carla@example.com\n`, { headers: { 'idempotency-key': 'upload-2' } });
      expect(otherBytes.status).toBe(422);
      expect(otherBytes.headers.get('content-type')).toContain('application/problem+json');
      expect(otherBytes.body).toMatchObject({ code: 'idempotency_key_reused' });
      const otherEntity = await upload('contacts', CSV, { headers: { 'idempotency-key': 'upload-2' } });
      expect(otherEntity.status).toBe(422);
      expect(await tenantRows(tenant, `SELECT id FROM imports WHERE idempotency_key = 'upload-2'`)).toHaveLength(1);
    });
  });

  describe('Idempotency-Key: an answer lost after the commit', () => {
    it('keeps the import and its file, and replays the import to the retry', async () => {
      // The import and the key's response commit, then the connection drops before the answer.
      const lost = await api.withNextCommitAnswerLost(() => upload('customers', CSV, { headers: { 'idempotency-key': 'upload-lost' } }));
      expect(lost.status).toBe(503);
      const retry = await upload('customers', CSV, { headers: { 'idempotency-key': 'upload-lost' } });
      expect(retry.status).toBe(202);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      const importId = String(retry.body['importId']);
      // Before: the file of the committed import was deleted and the retry queued a second import.
      expect(await tenantRows(tenant, `SELECT id FROM imports WHERE idempotency_key = 'upload-lost'`)).toEqual([{ id: importId }]);
      const stored = await filesUnder(path.join(storageDir, 'tenants', tenant.tenantId, 'imports'));
      expect(stored.filter((file) => file.startsWith(importId))).toHaveLength(1);
    });
  });

  describe('Idempotency-Key: a retry while the first attempt is still uploading', () => {
    /**
     * Starts an upload that sends `first`, then waits for `gate` before sending `rest`: a slow client, or
     * a first attempt its client gave up on while the server still reads it.
     */
    function slowUpload(key: string, idempotencyKey: string, first: string, rest: string, gate: Promise<unknown>) {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent === 0) controller.enqueue(Buffer.from(first));
          else if (sent === 1) {
            await gate;
            controller.enqueue(Buffer.from(rest));
          } else controller.close();
          sent += 1;
        },
      });
      return fetch(`${api.baseUrl}/v1/imports/customers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv', 'idempotency-key': idempotencyKey },
        body,
        duplex: 'half',
      } as RequestInit).then(async (response) => ({ status: response.status, headers: response.headers, body: JSON.parse(await response.text()) as Record<string, unknown> }));
    }

    it('makes the upload that ends first the import: the slower one, same bytes, gets its 202 replayed (no 409, no second import)', async () => {
      const own = await api.seedTenant('imports-concurrent');
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow = slowUpload(own.apiKey, 'slow-1', CSV.slice(0, 20), CSV.slice(20), gate);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const retry = await upload('customers', CSV, { key: own.apiKey, headers: { 'idempotency-key': 'slow-1' } });
      expect([retry.status, retry.headers.get('idempotent-replayed')]).toEqual([202, null]);
      release();
      const first = await slow;
      expect([first.status, first.headers.get('idempotent-replayed')]).toEqual([202, 'true']);
      expect(first.body).toEqual(retry.body);
      expect(await tenantRows(own, 'SELECT id FROM imports')).toEqual([{ id: retry.body['importId'] }]);
      expect(await filesUnder(path.join(storageDir, 'tenants', own.tenantId))).toEqual([`imports/${retry.body['importId'] as string}/upload.csv`]);
    });

    it('answers the slower upload with other bytes 422 once it ends, keeping the import of the one that ended first', async () => {
      const own = await api.seedTenant('imports-concurrent-other');
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow = slowUpload(own.apiKey, 'slow-2', CSV.slice(0, 20), `${CSV.slice(20)}c3,Carla,carla@example.com\n`, gate);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const retry = await upload('customers', CSV, { key: own.apiKey, headers: { 'idempotency-key': 'slow-2' } });
      expect(retry.status).toBe(202);
      release();
      const first = await slow;
      expect([first.status, first.body['code']]).toEqual([422, 'idempotency_key_reused']);
      expect(await tenantRows(own, 'SELECT id FROM imports')).toEqual([{ id: retry.body['importId'] }]);
      expect(await filesUnder(path.join(storageDir, 'tenants', own.tenantId))).toEqual([`imports/${retry.body['importId'] as string}/upload.csv`]);
    });
  });

  describe('Idempotency-Key: what the key is bound to', () => {
    let own: SeededTenant;
    const NDJSON = '{"external_id":"c1","name":"Ana"}\n';

    beforeAll(async () => {
      own = await api.seedTenant('imports-fingerprint');
    });

    const send = (key: string, options: { contentType?: string; query?: string; headers?: Record<string, string> } = {}, body = NDJSON) =>
      upload('customers', body, { key: own.apiKey, contentType: 'application/x-ndjson', ...options, headers: { 'idempotency-key': key, ...options.headers } });

    it('refuses the same key and bytes under another content type (422): the bytes mean another file', async () => {
      const first = await send('type-1');
      expect(first.status).toBe(202);
      const asCsv = await send('type-1', { contentType: 'text/csv' });
      expect(asCsv.status).toBe(422);
      expect(asCsv.body).toMatchObject({ code: 'idempotency_key_reused' });
      expect(asCsv.headers.get('idempotent-replayed')).toBeNull();
    });

    it('replays a retry that spells out the defaults, reorders the mapping or moves it between query and header', async () => {
      const mapping = { columns: { Nome: 'name', id: 'external_id' }, constants: { segment: 'smb' } };
      const first = await send('same-1', { headers: { 'import-mapping': JSON.stringify(mapping) } });
      expect(first.status).toBe(202);
      const retries = [
        { query: `mode=upsert&onUnknownReference=reject&maxRejectedShare=0.10&mapping=${encodeURIComponent(JSON.stringify(mapping))}` },
        { contentType: 'application/x-ndjson; charset=utf-8', headers: { 'import-mapping': ' {"constants":{"segment":"smb"},"columns":{"id":"external_id","Nome":{"field":"name"}}}' } },
        { headers: { 'import-mapping': JSON.stringify({ columns: { nome: 'name', ID: 'external_id' }, constants: { segment: 'smb' }, locale: {} }) } },
      ];
      for (const retry of retries) {
        const replayed = await send('same-1', retry);
        expect([retry, replayed.status, replayed.headers.get('idempotent-replayed')]).toEqual([retry, 202, 'true']);
        expect(replayed.body).toEqual(first.body);
      }
      expect(await tenantRows(own, `SELECT id FROM imports WHERE idempotency_key = 'same-1'`)).toEqual([{ id: first.body['importId'] }]);
    });

    it('replays a retry that names the encoding latin1 where the first said windows-1252: the parser reads both as Windows-1252', async () => {
      const first = await send('encoding-1', { headers: { 'import-mapping': '{"columns":{"Nome":"name"},"encoding":"windows-1252"}' } });
      expect(first.status).toBe(202);
      const replayed = await send('encoding-1', { headers: { 'import-mapping': '{"encoding":"latin1","columns":{"nome":"name"}}' } });
      expect([replayed.status, replayed.headers.get('idempotent-replayed')]).toEqual([202, 'true']);
      expect(replayed.body).toEqual(first.body);
      const utf8 = await send('encoding-1', { headers: { 'import-mapping': '{"columns":{"Nome":"name"},"encoding":"utf-8"}' } });
      expect([utf8.status, utf8.body['code']]).toEqual([422, 'idempotency_key_reused']);
    });

    it('refuses a retry whose options or mapping change how the file is read (422)', async () => {
      const first = await send('options-1');
      expect(first.status).toBe(202);
      for (const retry of [
        { query: 'mode=replace' },
        { query: 'onUnknownReference=create_stub' },
        { query: 'maxRejectedShare=0.2' },
        { headers: { 'import-mapping': '{"columns":{"Nome":"name"}}' } },
        { headers: { 'import-mapping': '{"locale":{"decimalSeparator":","}}' } },
      ]) {
        const refused = await send('options-1', retry);
        expect([retry, refused.status, refused.body['code']]).toEqual([retry, 422, 'idempotency_key_reused']);
      }
    });
  });

  describe('reading imports', () => {
    it("lists the tenant's own imports newest first, page by page, and never another tenant's", async () => {
      const own = (await tenantRows<{ id: string }>(tenant, 'SELECT id FROM imports ORDER BY created_at DESC, id DESC')).map((row) => row.id);
      expect(own.length).toBeGreaterThanOrEqual(4);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: Record<string, unknown> } = await api.get(`/v1/imports?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { key: tenant.apiKey });
        expect(page.status).toBe(200);
        seen.push(...(page.body['items'] as Array<{ id: string }>).map((item) => item.id));
        cursor = page.body['nextCursor'] as string | null;
      } while (cursor);
      expect(seen).toEqual(own);

      const filtered = await api.get('/v1/imports?entity=orders', { key: tenant.apiKey });
      expect((filtered.body['items'] as Array<{ entity: string }>).map((item) => item.entity)).toEqual(['orders']);
      const theirs = await api.get('/v1/imports', { key: other.apiKey });
      expect(theirs.body['items']).toEqual([]);
      const foreign = await api.get(`/v1/imports/${own[0]}`, { key: other.apiKey });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toMatchObject({ code: 'import.not_found' });
      expect((await api.get(`/v1/imports/${own[0]}/errors`, { key: other.apiKey })).status).toBe(404);
      expect((await api.get('/v1/imports?cursor=garbage', { key: tenant.apiKey })).status).toBe(400);
    });

    it("still shows an import a source's sync made as source-sync once that source is deleted", async () => {
      const own = await api.seedTenant('imports-orphaned-sync');
      const [source] = await tenantRows<{ id: string }>(own, `INSERT INTO sources (name, kind, entity, config) VALUES ('crm', 'files', 'customers', '{"kind":"files","url":"gs://crm-exports/x.csv"}') RETURNING id`);
      const sourceId = source?.id as string;
      const syncFile = pathToFileURL(path.join(storageDir, 'tenants', own.tenantId, 'sources', sourceId, 'syncs', 'run-1', '00000.csv')).toString();
      const uploadFile = pathToFileURL(path.join(storageDir, 'tenants', own.tenantId, 'imports', 'up-1', 'upload.csv')).toString();
      const [synced] = await tenantRows<{ id: string }>(own, `INSERT INTO imports (entity, status, mode, format, object_uri, source_id) VALUES ('customers', 'succeeded', 'upsert', 'csv', $1, $2) RETURNING id`, [syncFile, sourceId]);
      const [uploaded] = await tenantRows<{ id: string }>(own, `INSERT INTO imports (entity, status, mode, format, object_uri) VALUES ('customers', 'succeeded', 'upsert', 'csv', $1) RETURNING id`, [uploadFile]);
      const origins = async () => {
        const listed = await api.get('/v1/imports', { key: own.apiKey });
        const byId = new Map((listed.body['items'] as Array<{ id: string; origin: string; sourceId: string | null }>).map((item) => [item.id, [item.origin, item.sourceId]]));
        const single = await api.get(`/v1/imports/${synced?.id as string}`, { key: own.apiKey });
        return { synced: byId.get(synced?.id as string), uploaded: byId.get(uploaded?.id as string), single: [single.body['origin'], single.body['sourceId']] };
      };
      expect(await origins()).toEqual({ synced: ['source-sync', sourceId], uploaded: ['upload', null], single: ['source-sync', sourceId] });

      await tenantRows(own, 'DELETE FROM sources WHERE id = $1', [sourceId]);
      // Before: the deleted source's imports read as uploads.
      expect(await origins()).toEqual({ synced: ['source-sync', null], uploaded: ['upload', null], single: ['source-sync', null] });
    });

    it('pages through rejected rows in line order', async () => {
      const [row] = await tenantRows<{ id: string }>(tenant, `INSERT INTO imports (entity, status, mode, format) VALUES ('customers', 'partially_succeeded', 'upsert', 'csv') RETURNING id`);
      const importId = row?.id as string;
      await tenantRows(
        tenant,
        `INSERT INTO import_errors (import_id, line_number, "column", reason_code, message, raw_row) VALUES
           ($1, 7, 'email', 'invalid_email', 'not an email', 'c7,Gil,nope'),
           ($1, 3, NULL, 'duplicate_key', 'c1 again on line 5', 'c1,Ana'),
           ($1, 5, 'customer_since', 'invalid_date', 'not a date', 'c5,Eva,,31/31/2020')`,
        [importId],
      );
      const first = await api.get(`/v1/imports/${importId}/errors?limit=2`, { key: tenant.apiKey });
      expect(first.status).toBe(200);
      expect(first.body['items']).toEqual([
        { line: 3, column: null, reasonCode: 'duplicate_key', message: 'c1 again on line 5', rawRow: 'c1,Ana' },
        { line: 5, column: 'customer_since', reasonCode: 'invalid_date', message: 'not a date', rawRow: 'c5,Eva,,31/31/2020' },
      ]);
      const second = await api.get(`/v1/imports/${importId}/errors?limit=2&cursor=${first.body['nextCursor'] as string}`, { key: tenant.apiKey });
      expect(second.body).toEqual({ items: [{ line: 7, column: 'email', reasonCode: 'invalid_email', message: 'not an email', rawRow: 'c7,Gil,nope' }], nextCursor: null });
    });

    it('answers 400 for cursors edited to hold values their columns cannot, and for a limit that is not plain decimal text', async () => {
      const [row] = await tenantRows<{ id: string }>(tenant, `INSERT INTO imports (entity, status, mode, format) VALUES ('customers', 'failed', 'upsert', 'csv') RETURNING id`);
      const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      for (const path of [
        `/v1/imports?cursor=${forged({ createdAt: '2026-13-01T00:00:00.000000Z', id: row?.id })}`,
        `/v1/imports/${row?.id}/errors?cursor=${forged({ line: 1, id: '9999999999999999999' })}`,
      ]) {
        const response = await api.get(path, { key: tenant.apiKey });
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(response.body['errors']).toEqual([expect.objectContaining({ field: 'query.cursor', code: 'invalid_cursor' })]);
      }
      for (const path of ['/v1/imports?limit=0x10', `/v1/imports/${row?.id}/errors?limit=`]) {
        const response = await api.get(path, { key: tenant.apiKey });
        expect(response.status).toBe(400);
        expect(response.body['errors']).toEqual([expect.objectContaining({ field: 'query.limit' })]);
      }
    });

    it('documents every imports route in /openapi.json', async () => {
      const document = await api.get('/openapi.json');
      const paths = document.body['paths'] as Record<string, Record<string, unknown>>;
      expect(Object.keys(paths['/v1/imports/{entity}'] ?? {})).toEqual(['post']);
      expect(Object.keys(paths['/v1/imports'] ?? {})).toEqual(['get']);
      expect(Object.keys(paths['/v1/imports/{id}'] ?? {})).toEqual(['get']);
      expect(Object.keys(paths['/v1/imports/{id}/errors'] ?? {})).toEqual(['get']);
      // The upload's body is the file itself, in either accepted media type.
      const upload = paths['/v1/imports/{entity}']?.['post'] as { requestBody?: { required: boolean; content: Record<string, unknown> } };
      expect(upload.requestBody?.required).toBe(true);
      expect(Object.keys(upload.requestBody?.content ?? {}).sort()).toEqual(['application/x-ndjson', 'text/csv']);
    });
  });
});
