import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { computeKpis, type KpiOutputs } from './compute-kpis';
import { FIXTURE_PARAMS, FIXTURE_ROWS } from './kpi-fixture.int-kit';
import { createTestWarehouse, readKpiCsv, type TestWarehouse } from './kpi-warehouse.int-kit';

/*
 * A run as of a past day gives byte-identical files after data from later days has arrived: new orders
 * (also canceled ones), order lines, subscriptions starting later, a running subscription and an open
 * ticket that end/close later (updates of existing rows), later NPS answers and usage, and a customer
 * who only became a customer later.
 */
const LATER_ROWS = {
  customers: [{ external_id: 'c9', name: 'Customer c9', customer_since: '2024-04-02' }],
  orders: [
    { external_id: 'o20', customer_external_id: 'c1', ordered_at: '2024-04-01T03:00:00Z', status: 'paid', total: '70' },
    { external_id: 'o21', customer_external_id: 'c3', ordered_at: '2024-04-03T12:00:00Z', status: 'paid', total: '10' },
    { external_id: 'o22', customer_external_id: 'c9', ordered_at: '2024-04-03T12:00:00Z', status: 'canceled', total: '10' },
  ],
  order_items: [
    { order_external_id: 'o20', line_number: 1, sku: 'A', quantity: '1', unit_price: '70' },
    { order_external_id: 'o21', line_number: 1, sku: 'NEW', quantity: '1', unit_price: '10' },
  ],
  subscriptions: [
    { external_id: 's2', customer_external_id: 'c1', mrr: '150', started_at: '2024-02-15T12:00:00Z', ended_at: '2024-04-10T12:00:00Z', status: 'ended' },
    { external_id: 's9', customer_external_id: 'c5', mrr: '30', started_at: '2024-04-01T03:00:00Z', ended_at: null, status: 'active' },
  ],
  support_tickets: [
    { external_id: 't1', customer_external_id: 'c1', opened_at: '2024-03-01T12:00:00Z', closed_at: '2024-04-02T12:00:00Z', status: 'closed' },
  ],
  nps_responses: [{ external_id: 'n9', customer_external_id: 'c4', score: 0, responded_at: '2024-04-01T03:00:00Z' }],
  usage_events: [{ external_id: 'u9', customer_external_id: 'c5', type: 'login', occurred_at: '2024-04-01T04:00:00Z' }],
};

async function contents(outputs: KpiOutputs): Promise<string[]> {
  return Promise.all([outputs.customerKpis, outputs.productKpis, outputs.metricSeries].map((file) => readFile(file.location, 'utf8')));
}

describe('as-of runs are reproducible', () => {
  let testWarehouse: TestWarehouse;

  beforeAll(async () => {
    testWarehouse = await createTestWarehouse('tenant_reproducible');
    await testWarehouse.load(FIXTURE_ROWS);
  });

  afterAll(async () => {
    await testWarehouse?.dispose();
  });

  it('gives identical files for the same as-of day after later data arrives', async () => {
    const run = (name: string, asOf = FIXTURE_PARAMS.asOf) =>
      computeKpis(testWarehouse.warehouse, testWarehouse.tenant, { ...FIXTURE_PARAMS, asOf }, path.join(testWarehouse.dir, name));
    const before = await run('before');
    expect(await contents(await run('again'))).toEqual(await contents(before));

    await testWarehouse.load(LATER_ROWS);
    const after = await run('after');
    expect(await contents(after)).toEqual(await contents(before));

    // The later data is there: a run as of 2024-04-03 sees it (so the equality above is not vacuous).
    const later = await run('later', '2024-04-03');
    const customers = new Map((await readKpiCsv(later.customerKpis.location)).map((row) => [row.customer_external_id, row]));
    expect(customers.get('c1')?.orders_count).toBe('4'); // o20 at 00:00 local on 04-01
    expect(customers.get('c5')?.mrr).toBe('30.0000'); // s9
    expect(customers.get('c9')?.orders_count).toBe('0'); // a customer since 04-02, its only order canceled
    expect(customers.get('c1')?.open_tickets).toBe('0'); // t1 closed 04-02
  });
});
