import { createBigQueryClient } from '../create-warehouse';
import type { WarehouseTenant } from '../warehouse';
import { BigQueryFake, type RecordedRequest } from './bigquery-fake.int-kit';
import { BigQueryWarehouse } from './bigquery-warehouse';

// The client's HTTP layer (teeny-request) loads node-fetch with a dynamic import(), which Jest runs only
// with --experimental-vm-modules: the int-test target sets it in NODE_OPTIONS (project.json).

const PROJECT = 'pulse-test-project';
const tenant: WarehouseTenant = { tenantId: '11111111-2222-4333-8444-555555555555', slug: 'acme-co' };
const DATASET = 'pulse_acme_co';

describe('BigQueryWarehouse against a BigQuery REST fake', () => {
  let fake: BigQueryFake;
  let warehouse: BigQueryWarehouse;

  beforeEach(async () => {
    fake = new BigQueryFake(PROJECT);
    const endpoint = await fake.start();
    warehouse = new BigQueryWarehouse({
      client: createBigQueryClient({ projectId: PROJECT, location: 'southamerica-east1', emulatorHost: endpoint }),
      projectId: PROJECT,
      location: 'southamerica-east1',
      maxBytesBilled: '5000000000',
      pageSize: 2,
    });
  });

  afterEach(async () => {
    await warehouse.close();
    await fake.stop();
  });

  const jobInserts = () => fake.requests.filter((request) => request.method === 'POST' && request.path === '/jobs');
  const jobConfiguration = (request: RecordedRequest) => (request.body as { configuration: Record<string, unknown> }).configuration;
  const jobReference = (request: RecordedRequest) => (request.body as { jobReference: Record<string, unknown> }).jobReference;

  it('creates the tenant dataset and partitioned, clustered tables once, on first use', async () => {
    await warehouse.execute(tenant, 'SELECT 1', { label: 'warm-up' });
    await warehouse.execute(tenant, 'SELECT 2', { label: 'again' });

    const setup = fake.significantRequests.filter((request) => request.path.startsWith('/datasets'));
    expect(setup.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /datasets/${DATASET}`,
      'POST /datasets',
      ...['customers', 'contacts', 'products', 'orders', 'order_items', 'subscriptions', 'usage_events', 'nps_responses', 'support_tickets'].flatMap(
        (table) => [`GET /datasets/${DATASET}/tables/${table}`, `POST /datasets/${DATASET}/tables`],
      ),
      `GET /datasets/${DATASET}/tables/_pulse_applied_loads`,
      `POST /datasets/${DATASET}/tables`,
    ]);
    expect(setup[1].body).toEqual({ datasetReference: { datasetId: DATASET }, location: 'southamerica-east1', labels: { tenant: 'acme-co' } });

    const tableBody = (name: string) =>
      setup.find((request) => (request.body as { tableReference?: { tableId: string } } | undefined)?.tableReference?.tableId === name)!.body;
    expect(tableBody('orders')).toEqual({
      tableReference: { projectId: PROJECT, datasetId: DATASET, tableId: 'orders' },
      schema: {
        fields: [
          { name: 'external_id', type: 'STRING', mode: 'REQUIRED' },
          { name: 'customer_external_id', type: 'STRING', mode: 'REQUIRED' },
          { name: 'ordered_at', type: 'TIMESTAMP', mode: 'REQUIRED' },
          { name: 'status', type: 'STRING', mode: 'NULLABLE' },
          { name: 'currency', type: 'STRING', mode: 'NULLABLE' },
          { name: 'total', type: 'NUMERIC', mode: 'NULLABLE' },
          { name: 'custom', type: 'JSON', mode: 'NULLABLE' },
          { name: 'loaded_at', type: 'TIMESTAMP', mode: 'REQUIRED' },
        ],
      },
      timePartitioning: { type: 'DAY', field: 'ordered_at' },
      clustering: { fields: ['customer_external_id'] },
    });
    expect(tableBody('usage_events')).toMatchObject({
      timePartitioning: { type: 'DAY', field: 'occurred_at' },
      clustering: { fields: ['customer_external_id', 'type'] },
    });
    expect(tableBody('order_items')).not.toHaveProperty('timePartitioning');
    expect(tableBody('order_items')).toMatchObject({ clustering: { fields: ['order_external_id', 'sku'] } });
    expect(tableBody('_pulse_applied_loads')).toEqual({
      tableReference: { projectId: PROJECT, datasetId: DATASET, tableId: '_pulse_applied_loads' },
      schema: {
        fields: [
          { name: 'import_id', type: 'STRING', mode: 'REQUIRED' },
          { name: 'entity', type: 'STRING', mode: 'REQUIRED' },
          { name: 'mode', type: 'STRING', mode: 'REQUIRED' },
          { name: 'applied_at', type: 'TIMESTAMP', mode: 'REQUIRED' },
        ],
      },
    });
  });

  it('runs queries as labelled jobs with the bytes-billed guard and the tenant dataset as default', async () => {
    fake.answerQuery = () => ({
      schema: {
        fields: [
          { name: 'customer_external_id', type: 'STRING' },
          { name: 'orders_count', type: 'INTEGER' },
          { name: 'revenue', type: 'NUMERIC' },
          { name: 'last_order_at', type: 'TIMESTAMP' },
          { name: 'first_day', type: 'DATE' },
          { name: 'active', type: 'BOOLEAN' },
          { name: 'share', type: 'FLOAT' },
        ],
      },
      rows: [
        { f: [{ v: 'c-1' }, { v: '3' }, { v: '1234.56' }, { v: '1709287200000000' }, { v: '2024-03-01' }, { v: 'true' }, { v: '0.25' }] },
        { f: [{ v: 'c-2' }, { v: '9007199254740993' }, { v: null }, { v: '1709287200123456' }, { v: null }, { v: 'false' }, { v: '1' }] },
        { f: [{ v: 'c-3' }, { v: '0' }, { v: '0' }, { v: null }, { v: '1999-12-31' }, { v: null }, { v: null }] },
      ],
    });

    const rows = await warehouse.query(tenant, 'SELECT * FROM customer_kpis', { label: 'Customer KPIs' });

    expect(rows).toEqual([
      // 1709287200 s = 2024-03-01T10:00:00Z
      { customer_external_id: 'c-1', orders_count: 3, revenue: '1234.56', last_order_at: '2024-03-01T10:00:00.000Z', first_day: '2024-03-01', active: true, share: 0.25 },
      // 2^53 + 1 is not exact as a number, so it stays text.
      { customer_external_id: 'c-2', orders_count: '9007199254740993', revenue: null, last_order_at: '2024-03-01T10:00:00.123456Z', first_day: null, active: false, share: 1 },
      { customer_external_id: 'c-3', orders_count: 0, revenue: '0', last_order_at: null, first_day: '1999-12-31', active: null, share: null },
    ]);
    const [insert] = jobInserts();
    expect(jobReference(insert)).toEqual({ projectId: PROJECT, jobId: expect.any(String), location: 'southamerica-east1' });
    expect(jobConfiguration(insert)).toEqual({
      labels: { tenant: 'acme-co', metric: 'customer_kpis' },
      query: {
        query: 'SELECT * FROM customer_kpis',
        useLegacySql: false,
        defaultDataset: { projectId: PROJECT, datasetId: DATASET },
        maximumBytesBilled: '5000000000',
      },
    });
    // Two rows per page: three rows take two pages.
    const pages = fake.requests.filter((request) => request.path.startsWith('/queries/'));
    expect(pages.map((request) => [request.query.maxResults, request.query.pageToken, request.query['formatOptions.useInt64Timestamp']])).toEqual([
      ['2', undefined, 'true'],
      ['2', '2', 'true'],
    ]);
  });

  const loadParameters = (importId: string, entity: string, mode: string) => ({
    parameterMode: 'NAMED',
    queryParameters: [
      { name: 'import_id', parameterType: { type: 'STRING' }, parameterValue: { value: importId } },
      { name: 'entity', parameterType: { type: 'STRING' }, parameterValue: { value: entity } },
      { name: 'mode', parameterType: { type: 'STRING' }, parameterValue: { value: mode } },
    ],
  });
  const APPLIED_COUNT_SQL = `SELECT COUNT(*) AS applied FROM \`${PROJECT}.${DATASET}._pulse_applied_loads\` WHERE import_id = @import_id AND entity = @entity AND mode = @mode`;

  it('checks the load was not applied, loads the staged gs:// object into a staging table, MERGEs it with its record in one transaction, then drops the staging table', async () => {
    await warehouse.appendStaged({ tenant, entity: 'orders', importId: 'imp-42', mode: 'upsert', objectUri: 'gs://pulse-staging/acme/imp-42/orders.csv' });

    const [check, load, merge] = jobInserts();
    expect(jobConfiguration(check)).toEqual({
      labels: { tenant: 'acme-co', metric: 'load_orders' },
      query: {
        query: APPLIED_COUNT_SQL,
        useLegacySql: false,
        defaultDataset: { projectId: PROJECT, datasetId: DATASET },
        maximumBytesBilled: '5000000000',
        ...loadParameters('imp-42', 'orders', 'upsert'),
      },
    });
    const loadConfiguration = jobConfiguration(load) as { load: { destinationTable: { tableId: string } } };
    const stagingTable = loadConfiguration.load.destinationTable.tableId;
    expect(stagingTable).toMatch(/^_pulse_staging_orders_[0-9a-f_]{36}$/);
    expect(loadConfiguration).toEqual({
      labels: { tenant: 'acme-co', metric: 'load_orders' },
      load: {
        sourceUris: ['gs://pulse-staging/acme/imp-42/orders.csv'],
        destinationTable: { projectId: PROJECT, datasetId: DATASET, tableId: stagingTable },
        schema: {
          fields: [
            { name: 'external_id', type: 'STRING', mode: 'REQUIRED' },
            { name: 'customer_external_id', type: 'STRING', mode: 'REQUIRED' },
            { name: 'ordered_at', type: 'TIMESTAMP', mode: 'REQUIRED' },
            { name: 'status', type: 'STRING', mode: 'NULLABLE' },
            { name: 'currency', type: 'STRING', mode: 'NULLABLE' },
            { name: 'total', type: 'NUMERIC', mode: 'NULLABLE' },
            { name: 'custom', type: 'JSON', mode: 'NULLABLE' },
          ],
        },
        sourceFormat: 'CSV',
        skipLeadingRows: 1,
        fieldDelimiter: ',',
        quote: '"',
        allowQuotedNewlines: true,
        encoding: 'UTF-8',
        createDisposition: 'CREATE_IF_NEEDED',
        writeDisposition: 'WRITE_TRUNCATE',
      },
    });
    expect(jobConfiguration(merge)).toEqual({
      labels: { tenant: 'acme-co', metric: 'load_orders' },
      query: {
        query: [
          'BEGIN TRANSACTION;',
          `MERGE \`${PROJECT}.${DATASET}.orders\` AS target`,
          `USING \`${PROJECT}.${DATASET}.${stagingTable}\` AS source`,
          'ON target.external_id = source.external_id',
          'WHEN MATCHED THEN UPDATE SET customer_external_id = source.customer_external_id, ordered_at = source.ordered_at, status = source.status, currency = source.currency, total = source.total, custom = source.custom, loaded_at = CURRENT_TIMESTAMP()',
          'WHEN NOT MATCHED THEN INSERT (external_id, customer_external_id, ordered_at, status, currency, total, custom, loaded_at) VALUES (source.external_id, source.customer_external_id, source.ordered_at, source.status, source.currency, source.total, source.custom, CURRENT_TIMESTAMP());',
          `INSERT INTO \`${PROJECT}.${DATASET}._pulse_applied_loads\` (import_id, entity, mode, applied_at) VALUES (@import_id, @entity, @mode, CURRENT_TIMESTAMP());`,
          'COMMIT TRANSACTION;',
        ].join('\n'),
        useLegacySql: false,
        defaultDataset: { projectId: PROJECT, datasetId: DATASET },
        maximumBytesBilled: '5000000000',
        ...loadParameters('imp-42', 'orders', 'upsert'),
      },
    });
    const last = fake.significantRequests.at(-1)!;
    expect(`${last.method} ${last.path}`).toBe(`DELETE /datasets/${DATASET}/tables/${stagingTable}`);
    expect(fake.tables.has(`${DATASET}.${stagingTable}`)).toBe(false);
    expect(await warehouse.applyPendingLoads(tenant)).toEqual({ applied: 0 });
  });

  it('replaces with a MERGE that also deletes the rows absent from the file', async () => {
    await warehouse.appendStaged({ tenant, entity: 'order_items', importId: 'imp-7', mode: 'replace', objectUri: 'gs://b/items.csv' });
    const merge = jobConfiguration(jobInserts()[2]) as { query: { query: string } };
    expect(merge.query.query.split('\n').slice(3, 7)).toEqual([
      'ON target.order_external_id = source.order_external_id AND target.line_number = source.line_number',
      'WHEN MATCHED THEN UPDATE SET sku = source.sku, quantity = source.quantity, unit_price = source.unit_price, custom = source.custom, loaded_at = CURRENT_TIMESTAMP()',
      'WHEN NOT MATCHED THEN INSERT (order_external_id, line_number, sku, quantity, unit_price, custom, loaded_at) VALUES (source.order_external_id, source.line_number, source.sku, source.quantity, source.unit_price, source.custom, CURRENT_TIMESTAMP())',
      'WHEN NOT MATCHED BY SOURCE THEN DELETE;',
    ]);
    expect(merge).toMatchObject({ query: loadParameters('imp-7', 'order_items', 'replace') });
  });

  it('does not apply a load again that is recorded as applied (handed over twice): no load job, no MERGE', async () => {
    const asked: string[] = [];
    fake.answerQuery = (sql) => {
      asked.push(sql);
      return { schema: { fields: [{ name: 'applied', type: 'INTEGER' }] }, rows: [{ f: [{ v: '1' }] }] };
    };

    await warehouse.appendStaged({ tenant, entity: 'usage_events', importId: 'imp-9', mode: 'upsert', objectUri: 'gs://b/events.csv' });

    expect(asked).toEqual([APPLIED_COUNT_SQL]);
    expect(jobInserts()).toHaveLength(1);
    expect(jobConfiguration(jobInserts()[0])).toMatchObject({ query: loadParameters('imp-9', 'usage_events', 'upsert') });
    expect(fake.requests.some((request) => request.method === 'DELETE' || request.path.includes('_pulse_staging_'))).toBe(false);
  });

  it('reports a failed load job as warehouse_load_failed, skips the MERGE and still drops the staging table', async () => {
    fake.failJob = (configuration) =>
      configuration.load ? { reason: 'invalid', message: 'Error while reading data, error message: Could not parse \'x\' as TIMESTAMP' } : undefined;

    await expect(
      warehouse.appendStaged({ tenant, entity: 'orders', importId: 'imp-bad', mode: 'upsert', objectUri: 'gs://b/bad.csv' }),
    ).rejects.toMatchObject({ code: 'warehouse_load_failed', message: expect.stringContaining("Could not parse 'x' as TIMESTAMP") });
    // The check, then the load that failed: no MERGE.
    expect(jobInserts().map((request) => Object.keys(jobConfiguration(request)).filter((key) => key !== 'labels'))).toEqual([['query'], ['load']]);
    expect(fake.significantRequests.at(-1)).toMatchObject({ method: 'DELETE', path: expect.stringMatching(/_pulse_staging_orders_/) });
  });

  it('refuses a local staged file: BigQuery loads from GCS', async () => {
    await expect(
      warehouse.appendStaged({ tenant, entity: 'orders', importId: 'imp-1', mode: 'upsert', objectUri: 'file:///tmp/orders.csv' }),
    ).rejects.toMatchObject({ code: 'warehouse_invalid_request' });
    expect(fake.requests).toEqual([]);
  });

  it('names the metric when the bytes-billed guard stops a query', async () => {
    fake.failJob = (configuration) =>
      configuration.query ? { reason: 'bytesBilledLimitExceeded', message: 'Query exceeded limit for bytes billed: 5000000000.' } : undefined;
    await expect(warehouse.query(tenant, 'SELECT * FROM orders', { label: 'revenue_series' })).rejects.toMatchObject({
      code: 'warehouse_query_failed',
      message: 'revenue_series: Query exceeded limit for bytes billed: 5000000000.',
      // BigQuery's reason stays on the cause: the metrics service tells a limit from an outage by it.
      cause: expect.objectContaining({ errors: [expect.objectContaining({ reason: 'bytesBilledLimitExceeded' })] }),
    });
  });

  it('cancels the running job when the signal aborts, and rejects with the signal\'s reason at once', async () => {
    fake.holdJobs = true;
    const stop = new AbortController();
    const exporting = warehouse.exportQuery(tenant, 'SELECT sku FROM products', {
      label: 'product_kpis',
      destination: 'gs://pulse-exports/acme/run-2/product_kpis-*.csv',
      signal: stop.signal,
    });
    await waitFor(() => jobInserts().length === 1);
    const interrupted = new Error('shutting down');
    stop.abort(interrupted);

    await expect(exporting).rejects.toBe(interrupted);
    const jobId = jobReference(jobInserts()[0]!)['jobId'] as string;
    await waitFor(() => fake.requests.some((request) => request.method === 'POST' && request.path === `/jobs/${jobId}/cancel`));
    const cancel = fake.requests.find((request) => request.path === `/jobs/${jobId}/cancel`)!;
    expect(cancel.query).toMatchObject({ location: 'southamerica-east1' });
    // No extract job: the half-computed result is never written anywhere.
    expect(jobInserts()).toHaveLength(1);

    // An already aborted signal starts nothing.
    await expect(warehouse.query(tenant, 'SELECT 1', { label: 'late', signal: stop.signal })).rejects.toBe(interrupted);
    expect(jobInserts()).toHaveLength(1);
  });

  it('exports through a scratch table and an extract job writing CSV with a header to GCS', async () => {
    fake.answerQuery = () => ({ schema: { fields: [{ name: 'sku', type: 'STRING' }] }, rows: [{ f: [{ v: 'A' }] }, { f: [{ v: 'B' }] }, { f: [{ v: 'C' }] }] });

    const result = await warehouse.exportQuery(tenant, 'SELECT sku FROM products', {
      label: 'product_kpis',
      destination: 'gs://pulse-exports/acme/run-1/product_kpis-*.csv',
    });

    expect(result).toEqual({ rows: 3, location: 'gs://pulse-exports/acme/run-1/product_kpis-*.csv' });
    const [query, extract] = jobInserts();
    const scratch = (jobConfiguration(query) as { query: { destinationTable: { tableId: string } } }).query.destinationTable.tableId;
    expect(scratch).toMatch(/^_pulse_export_[0-9a-f_]{36}$/);
    expect(jobConfiguration(query)).toEqual({
      labels: { tenant: 'acme-co', metric: 'product_kpis' },
      query: {
        query: 'SELECT sku FROM products',
        useLegacySql: false,
        defaultDataset: { projectId: PROJECT, datasetId: DATASET },
        maximumBytesBilled: '5000000000',
        destinationTable: { projectId: PROJECT, datasetId: DATASET, tableId: scratch },
        createDisposition: 'CREATE_IF_NEEDED',
        writeDisposition: 'WRITE_TRUNCATE',
      },
    });
    expect(jobConfiguration(extract)).toEqual({
      labels: { tenant: 'acme-co', metric: 'product_kpis' },
      extract: {
        sourceTable: { projectId: PROJECT, datasetId: DATASET, tableId: scratch },
        destinationUris: ['gs://pulse-exports/acme/run-1/product_kpis-*.csv'],
        destinationFormat: 'CSV',
        printHeader: true,
        fieldDelimiter: ',',
        compression: 'NONE',
      },
    });
    expect(fake.tables.has(`${DATASET}.${scratch}`)).toBe(false);
    await expect(warehouse.exportQuery(tenant, 'SELECT 1', { label: 'x', destination: '/tmp/out.csv' })).rejects.toMatchObject({
      code: 'warehouse_invalid_request',
    });
  });

  it('drops the tenant dataset with its contents, and tolerates one already gone', async () => {
    await warehouse.execute(tenant, 'SELECT 1', { label: 'create' });
    await warehouse.dropTenant(tenant);
    await warehouse.dropTenant(tenant);
    const deletes = fake.requests.filter((request) => request.method === 'DELETE');
    expect(deletes.map((request) => [request.path, request.query.deleteContents])).toEqual([
      [`/datasets/${DATASET}`, 'true'],
      [`/datasets/${DATASET}`, 'true'],
    ]);
    expect(fake.datasets.has(DATASET)).toBe(false);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a request to the fake');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
