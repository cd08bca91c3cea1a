import { PARSING_CORPUS, readParsingCorpusFile, type ParsingCorpusFile } from '@pulse/parsing';
import { IngestionUnderTest, type SeededTenant } from '../ingestion.int-kit';
import type { NewImport } from './import-loader';

// The messy-file corpus of @pulse/parsing, end to end: each file uploaded and loaded into one tenant,
// in dependency order (customers before what refers to them), with the exact rows it must leave in the
// tenant's tables and the exact lines it must reject. Expected values come from reading the files
// (libs/parsing/src/testing/corpus) by hand; timestamps of São Paulo files are UTC-3.

describe('messy files end to end (corpus of @pulse/parsing, real PostgreSQL)', () => {
  let ingestion: IngestionUnderTest;
  let tenant: SeededTenant;

  beforeAll(async () => {
    ingestion = await IngestionUnderTest.start();
    tenant = await ingestion.seedTenant('corpus');
  }, 120_000);

  afterAll(async () => {
    await ingestion?.stop();
  });

  async function load(file: ParsingCorpusFile, spec: Pick<NewImport, 'entity'> & Partial<Pick<NewImport, 'mapping' | 'format'>> & { maxRejectedShare?: number; onUnknownReference?: 'reject' | 'create_stub'; timezone?: string }) {
    const format = spec.format ?? (file.endsWith('.ndjson') ? 'ndjson' : 'csv');
    const objectUri = await ingestion.upload(tenant, readParsingCorpusFile(file), `upload.${format}`);
    return ingestion.loader.load(tenant.context, spec.timezone ?? 'UTC', {
      entity: spec.entity,
      format,
      objectUri,
      mapping: spec.mapping,
      mode: 'upsert',
      options: { onUnknownReference: spec.onUnknownReference ?? 'reject', maxRejectedShare: spec.maxRejectedShare ?? 0.1 },
    });
  }

  const rejected = (importId: string) =>
    ingestion.rows<{ line: number; column: string | null; reason: string }>(
      tenant,
      'SELECT line_number::int AS line, "column", reason_code AS reason FROM import_errors WHERE import_id = $1 ORDER BY line_number',
      [importId],
    );

  it('customers, UTF-8 with `,`, export headers through a mapping: every row, aliases and typed custom columns', async () => {
    const outcome = await load(PARSING_CORPUS.customersComma, { entity: 'customers', mapping: { columns: { 'Customer ID': 'external_id' } } });
    expect(outcome).toMatchObject({ status: 'succeeded', rowsReceived: 3, rowsLoaded: 3, rowsRejected: 0 });
    expect(await ingestion.rows(tenant, `SELECT external_id, name, segment, to_char(customer_since, 'YYYY-MM-DD') AS since, custom FROM customers WHERE external_id LIKE 'C00%' ORDER BY 1`)).toEqual([
      { external_id: 'C001', name: 'Acme, Inc.', segment: 'SMB', since: '2024-03-15', custom: { region: 'São Paulo', employees: 120, active: true } },
      { external_id: 'C002', name: 'Órbita Serviços', segment: 'Enterprise', since: '2023-12-01', custom: { region: 'Minas Gerais', employees: 4500, active: false } },
      { external_id: 'C003', name: 'Beta', segment: null, since: '2022-07-09', custom: { region: 'Rio de Janeiro', employees: null, active: true } },
    ]);
    expect(await ingestion.rows(tenant, `SELECT a.source_id, c.external_id FROM customer_aliases a JOIN customers c ON c.id = a.customer_id ORDER BY 1`)).toEqual([
      { source_id: 'legacy-1', external_id: 'C001' },
      { source_id: 'shop-1', external_id: 'C001' },
    ]);
  });

  it('customers, Windows-1252 with `;`, CRLF, dd/mm/yyyy and decimal commas', async () => {
    const outcome = await load(PARSING_CORPUS.customersLatin1Semicolon, { entity: 'customers' });
    expect(outcome).toMatchObject({ status: 'succeeded', rowsReceived: 3, rowsLoaded: 3, rowsRejected: 0 });
    expect(await ingestion.rows(tenant, `SELECT external_id, name, to_char(customer_since, 'YYYY-MM-DD') AS since, custom FROM customers WHERE external_id LIKE 'B0%' ORDER BY 1`)).toEqual([
      { external_id: 'B01', name: 'Padaria São João', since: '2024-01-31', custom: { regiao: 'São Paulo', receita_anual: 1234.56, ativo: true } },
      { external_id: 'B02', name: 'Açaí & Cia', since: '2024-02-05', custom: { regiao: 'Paraná', receita_anual: 987.5, ativo: false } },
      { external_id: 'B03', name: 'Café \u201cBom\u201d', since: '2023-11-12', custom: { regiao: 'Ceará', receita_anual: 12000, ativo: true } },
    ]);
  });

  it('a header-only file succeeds with nothing loaded; an empty file fails as a whole', async () => {
    expect(await load(PARSING_CORPUS.customersHeaderOnly, { entity: 'customers' })).toMatchObject({ status: 'succeeded', rowsReceived: 0, rowsLoaded: 0, rowsRejected: 0 });
    expect(await load(PARSING_CORPUS.empty, { entity: 'customers' })).toMatchObject({ status: 'failed', errorCode: 'empty_file', rowsLoaded: 0 });
  });

  it('ambiguous day/month dates: 2 of 3 rejected fails the import (10 % threshold); the locale setting loads all three', async () => {
    const detected = await load(PARSING_CORPUS.customersAmbiguousDates, { entity: 'customers' });
    expect(detected).toMatchObject({ status: 'failed', errorCode: 'rejected_share_exceeded', rowsReceived: 3, rowsLoaded: 0, rowsRejected: 2 });
    expect(await rejected(detected.importId)).toEqual([
      { line: 2, column: 'customer_since', reason: 'ambiguous_date' },
      { line: 4, column: 'customer_since', reason: 'ambiguous_date' },
    ]);
    expect(await ingestion.rows(tenant, `SELECT external_id FROM customers WHERE external_id LIKE 'A%'`)).toEqual([]);

    const withLocale = await load(PARSING_CORPUS.customersAmbiguousDates, { entity: 'customers', mapping: { locale: { dateFormat: 'dd/mm/yyyy' } } });
    expect(withLocale).toMatchObject({ status: 'succeeded', rowsLoaded: 3 });
    expect(await ingestion.rows(tenant, `SELECT external_id, to_char(customer_since, 'YYYY-MM-DD') AS since FROM customers WHERE external_id LIKE 'A%' ORDER BY 1`)).toEqual([
      { external_id: 'A1', since: '2024-04-03' },
      { external_id: 'A2', since: '2024-04-05' },
      { external_id: 'A3', since: '2024-06-05' },
    ]);
  });

  it('orders, tab + BOM + CRLF, local times read in the tenant timezone, offsets and epoch seconds', async () => {
    const outcome = await load(PARSING_CORPUS.ordersTabBomCrlf, { entity: 'orders', timezone: 'America/Sao_Paulo' });
    expect(outcome).toMatchObject({ status: 'succeeded', rowsReceived: 4, rowsLoaded: 4, rowsRejected: 0 });
    expect(
      await ingestion.rows(tenant, `SELECT o.external_id, c.external_id AS customer, o.ordered_at, o.status, o.total::text, o.currency FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.external_id LIKE 'O%' ORDER BY 1`),
    ).toEqual([
      { external_id: 'O1', customer: 'C001', ordered_at: new Date('2024-03-01T13:00:00Z'), status: 'paid', total: '1234.5000', currency: 'BRL' },
      { external_id: 'O2', customer: 'C002', ordered_at: new Date('2024-03-01T13:00:00Z'), status: 'canceled', total: '-5.0000', currency: 'BRL' },
      { external_id: 'O3', customer: 'C001', ordered_at: new Date('2024-07-01T00:30:00Z'), status: 'refunded', total: '0.9900', currency: 'USD' },
      { external_id: 'O4', customer: 'C003', ordered_at: new Date('2024-03-01T10:00:00Z'), status: 'paid', total: '10.0000', currency: 'BRL' },
    ]);
  });

  it('orders, `;` with Portuguese headers through a mapping, dd/mm/yyyy HH:mm and 1.234,56', async () => {
    const mapping = { columns: { Pedido: 'external_id', Cliente: 'customer_external_id', Data: 'ordered_at', Valor: 'total', Status: 'status' } };
    const outcome = await load(PARSING_CORPUS.ordersPtBr, { entity: 'orders', mapping, timezone: 'America/Sao_Paulo' });
    expect(outcome).toMatchObject({ status: 'succeeded', rowsReceived: 3, rowsLoaded: 3, rowsRejected: 0 });
    expect(await ingestion.rows(tenant, `SELECT external_id, ordered_at, total::text, status FROM orders WHERE external_id LIKE 'P%' ORDER BY 1`)).toEqual([
      { external_id: 'P1', ordered_at: new Date('2024-01-01T02:30:00Z'), total: '1234.5600', status: 'pago' },
      { external_id: 'P2', ordered_at: new Date('2024-02-01T11:00:15Z'), total: '0.5000', status: 'cancelado' },
      { external_id: 'P3', ordered_at: new Date('2024-03-15T03:00:00Z'), total: '-2000.0000', status: 'pago' },
    ]);
  });

  it('orders with wrong types, short/long records and extra columns: good rows load (stub customers asked for), bad lines are listed', async () => {
    // 4 of 7 lines are bad: a 60 % threshold lets the import through; its customers C1, C3, C4 become stubs.
    const outcome = await load(PARSING_CORPUS.ordersWrongTypes, { entity: 'orders', maxRejectedShare: 0.6, onUnknownReference: 'create_stub' });
    expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 7, rowsLoaded: 3, rowsRejected: 4 });
    expect(await rejected(outcome.importId)).toEqual([
      { line: 3, column: 'ordered_at', reason: 'invalid_timestamp' },
      { line: 4, column: 'total', reason: 'invalid_number' },
      { line: 5, column: null, reason: 'wrong_field_count' },
      { line: 7, column: 'total', reason: 'out_of_range' },
    ]);
    // O1's id is also in the tab file: this later upload updates it (and, lacking status/currency columns, keeps those).
    expect(
      await ingestion.rows(tenant, `SELECT o.external_id, c.external_id AS customer, o.total::text, o.status, o.custom FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.external_id IN ('O1', 'O5', 'O7') ORDER BY 1`),
    ).toEqual([
      { external_id: 'O1', customer: 'C1', total: '10.5000', status: 'paid', custom: { channel: 'web', coupon: null } },
      { external_id: 'O5', customer: 'C3', total: '8.0000', status: null, custom: { channel: 'app', coupon: null } },
      { external_id: 'O7', customer: 'C4', total: '9.0000', status: null, custom: { channel: '42', coupon: 'Z' } },
    ]);
    expect(await ingestion.rows(tenant, `SELECT external_id, name FROM customers WHERE external_id IN ('C1', 'C3', 'C4') ORDER BY 1`)).toEqual([
      { external_id: 'C1', name: null },
      { external_id: 'C3', name: null },
      { external_id: 'C4', name: null },
    ]);
  });

  it('orders dated with a placeholder for no date (0001-01-01, 1900-01-01, 9999-12-31) are rejected, the others load; a custom column keeps one as written', async () => {
    // 3 of 6 rejected: a 60 % threshold lets the import through. One such order would make the metrics'
    // day series start in year 1 (some 740,000 days per metric).
    const outcome = await load(PARSING_CORPUS.ordersPlaceholderDates, { entity: 'orders', maxRejectedShare: 0.6 });
    expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 6, rowsLoaded: 3, rowsRejected: 3 });
    expect(await rejected(outcome.importId)).toEqual([
      { line: 3, column: 'ordered_at', reason: 'out_of_range' },
      { line: 4, column: 'ordered_at', reason: 'out_of_range' },
      { line: 5, column: 'ordered_at', reason: 'out_of_range' },
    ]);
    expect(await ingestion.rows(tenant, `SELECT external_id, ordered_at, total::text, custom FROM orders WHERE external_id LIKE 'D%' ORDER BY 1`)).toEqual([
      { external_id: 'D1', ordered_at: new Date('2024-05-02T10:00:00Z'), total: '10.0000', custom: { shipped_at: '2024-05-03T14:00:00.000Z' } },
      { external_id: 'D5', ordered_at: new Date('2024-05-03T09:30:00Z'), total: '2.0000', custom: { shipped_at: '9999-12-31 00:00:00.000' } },
      { external_id: 'D6', ordered_at: new Date('2024-05-04T16:45:00Z'), total: '3.0000', custom: { shipped_at: '1753-01-01 00:00:00.000' } },
    ]);
  });

  it('a file without a required column fails as a whole, loading nothing', async () => {
    const outcome = await load(PARSING_CORPUS.ordersMissingColumn, { entity: 'orders' });
    expect(outcome).toMatchObject({ status: 'failed', errorCode: 'missing_required_column', rowsLoaded: 0 });
  });

  it('products, `|` with a quote inside a field and 1,299.00', async () => {
    const outcome = await load(PARSING_CORPUS.productsPipe, { entity: 'products' });
    expect(outcome).toMatchObject({ status: 'succeeded', rowsLoaded: 2 });
    expect(await ingestion.rows(tenant, 'SELECT sku, name, category, price::text, custom FROM products ORDER BY sku')).toEqual([
      { sku: 'SKU-1', name: 'Caneca "Térmica"', category: 'Casa', price: '29.9000', custom: { color: 'azul' } },
      { sku: 'SKU-2', name: 'Cabo', category: 'Informática', price: '1299.0000', custom: { color: null } },
    ]);
  });

  it('NPS with quoted line breaks: parse rejects and unknown customers are listed, the one good row loads', async () => {
    // C005 and C006 are nobody's id or alias; with N2-N5 unreadable only N1 remains (6 of 7 rejected).
    const outcome = await load(PARSING_CORPUS.npsQuotedNewlines, { entity: 'nps_responses', maxRejectedShare: 0.9 });
    expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 7, rowsLoaded: 1, rowsRejected: 6 });
    expect(await rejected(outcome.importId)).toEqual([
      { line: 4, column: 'score', reason: 'out_of_range' },
      { line: 5, column: 'score', reason: 'invalid_integer' },
      { line: 6, column: 'customer_external_id', reason: 'missing_required' },
      { line: 7, column: 'responded_at', reason: 'invalid_timestamp' },
      { line: 8, column: 'customer_external_id', reason: 'unknown_reference' },
      { line: 11, column: 'customer_external_id', reason: 'unknown_reference' },
    ]);
    expect(await ingestion.rows(tenant, `SELECT n.external_id, c.external_id AS customer, n.score, n.responded_at, n.comment FROM nps_responses n JOIN customers c ON c.id = n.customer_id`)).toEqual([
      { external_id: 'N1', customer: 'C001', score: 10, responded_at: new Date('2024-05-01T00:00:00Z'), comment: 'Ótimo,\nrecomendo' },
    ]);
  });

  it('usage events as NDJSON: invalid JSON lines rejected with their line, properties and typed custom keys kept', async () => {
    const outcome = await load(PARSING_CORPUS.usageEventsNdjson, { entity: 'usage_events', maxRejectedShare: 0.6 });
    expect(outcome).toMatchObject({ status: 'partially_succeeded', rowsReceived: 7, rowsLoaded: 3, rowsRejected: 4 });
    expect(await rejected(outcome.importId)).toEqual([
      { line: 4, column: null, reason: 'invalid_json' },
      { line: 5, column: null, reason: 'invalid_json' },
      { line: 6, column: null, reason: 'invalid_json' },
      { line: 7, column: 'customer_external_id', reason: 'missing_required' },
    ]);
    expect(
      await ingestion.rows(tenant, `SELECT e.external_id, c.external_id AS customer, e.type, e.occurred_at, e.properties, e.custom FROM usage_events e JOIN customers c ON c.id = e.customer_id ORDER BY 1`),
    ).toEqual([
      { external_id: 'E1', customer: 'C001', type: 'login', occurred_at: new Date('2024-05-01T10:00:00Z'), properties: { feature: 'reports' }, custom: { device: 'iPhone', duration_s: '12.5' } },
      { external_id: 'E2', customer: 'C002', type: 'export_created', occurred_at: new Date('2024-05-01T10:00:00Z'), properties: {}, custom: { device: 'web', duration_s: '3' } },
      { external_id: 'E5', customer: 'C003', type: 'api_call', occurred_at: new Date('2024-05-03T12:00:00Z'), properties: { x: 1 }, custom: { device: null, duration_s: 'n/a' } },
    ]);
  });

  it('a NUL in a typed cell past the first 64 KiB, or in a json field, rejects that line alone; the error is recorded with the NUL shown escaped', async () => {
    const own = await ingestion.seedTenant('nul-values');
    const errorsOf = (importId: string) =>
      ingestion.rows(own, 'SELECT line_number::int AS line, "column", reason_code AS reason, message FROM import_errors WHERE import_id = $1 ORDER BY line_number', [importId]);
    // 3000 good rows first: a NUL within the first 64 KiB makes the whole file unreadable (a binary file).
    const products = ['sku,name,price', ...Array.from({ length: 3000 }, (_, i) => `SKU-${i + 1},Product ${i + 1},${i + 1}.50`), 'SKU-BAD,Bad one,12\u00005'].join('\n');
    const loaded = await ingestion.importFile(own, { entity: 'products', content: products });
    // Before: the message quoting the value could not be stored, and the import failed with nothing loaded.
    expect(loaded).toMatchObject({ status: 'partially_succeeded', rowsReceived: 3001, rowsLoaded: 3000, rowsRejected: 1 });
    expect(await errorsOf(loaded.importId)).toEqual([{ line: 3002, column: 'price', reason: 'invalid_number', message: expect.stringContaining('12\\05') }]);

    const events = [
      '{"external_id":"e1","customer_external_id":"c1","type":"login","occurred_at":"2026-01-05T00:00:00Z","properties":{"ua":"x\\u0000y"}}',
      '{"external_id":"e2","customer_external_id":"c1","type":"login","occurred_at":"2026-01-06T00:00:00Z","properties":{"ua":"ok"}}',
    ].join('\n');
    const eventsLoaded = await ingestion.importFile(own, { entity: 'usage_events', format: 'ndjson', content: events, options: { onUnknownReference: 'create_stub', maxRejectedShare: 0.6 } });
    // Before: jsonb refused the NUL in the load, and the import failed with neither event loaded.
    expect(eventsLoaded).toMatchObject({ status: 'partially_succeeded', rowsReceived: 2, rowsLoaded: 1, rowsRejected: 1 });
    expect(await errorsOf(eventsLoaded.importId)).toEqual([{ line: 1, column: 'properties', reason: 'invalid_json', message: expect.stringContaining('NUL') }]);
    expect(await ingestion.rows(own, 'SELECT external_id, properties FROM usage_events')).toEqual([{ external_id: 'e2', properties: { ua: 'ok' } }]);
  });
});
