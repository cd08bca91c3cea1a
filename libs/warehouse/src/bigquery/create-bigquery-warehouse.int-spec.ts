import { loadConfig, toWarehouseSettings, warehouseEnvShape } from '@pulse/config';
import { z } from 'zod';
import { createWarehouse } from '../create-warehouse';
import { BigQueryFake } from './bigquery-fake.int-kit';

const schema = z.object({ ...warehouseEnvShape() }).transform((env, ctx) => ({ warehouse: toWarehouseSettings(env, ctx) }));

describe('createWarehouse with PULSE_WAREHOUSE=bigquery', () => {
  let fake: BigQueryFake;
  let endpoint: string;
  const saved = process.env.BIGQUERY_EMULATOR_HOST;

  beforeEach(async () => {
    fake = new BigQueryFake('pulse-prod-123');
    endpoint = await fake.start();
  });

  afterEach(async () => {
    if (saved === undefined) delete process.env.BIGQUERY_EMULATOR_HOST;
    else process.env.BIGQUERY_EMULATOR_HOST = saved;
    await fake.stop();
  });

  it('reaches the endpoint named by BIGQUERY_EMULATOR_HOST with the configured project, location and guard', async () => {
    const environment = {
      PULSE_WAREHOUSE: 'bigquery',
      BIGQUERY_PROJECT: 'pulse-prod-123',
      BIGQUERY_LOCATION: 'EU',
      BIGQUERY_MAX_BYTES_BILLED: '123456789',
      PULSE_WAREHOUSE_STAGING_BUCKET: 'gs://pulse-exports',
      BIGQUERY_EMULATOR_HOST: endpoint.replace('http://', ''),
    };
    // The client also reads the variable itself (and then uses it as its base URL as is).
    process.env.BIGQUERY_EMULATOR_HOST = endpoint;
    const warehouse = createWarehouse(loadConfig('metrics', schema, environment).warehouse);
    expect(warehouse.dialect).toBe('bigquery');

    await warehouse.execute({ tenantId: 't-1', slug: 'acme' }, 'SELECT 1', { label: 'ping' });

    const insert = fake.requests.find((request) => request.method === 'POST' && request.path === '/jobs');
    expect(insert?.body).toMatchObject({
      jobReference: { projectId: 'pulse-prod-123', location: 'EU' },
      configuration: { labels: { tenant: 'acme', metric: 'ping' }, query: { maximumBytesBilled: '123456789' } },
    });
    expect(fake.datasets.has('pulse_acme')).toBe(true);
    await warehouse.close();
  });
});
