import { labelValue, tenantDatasetId } from './bigquery-names';

describe('BigQuery names', () => {
  it('names the tenant dataset pulse_<slug> with - as _', () => {
    expect(tenantDatasetId({ tenantId: 't', slug: 'acme-co-2' })).toBe('pulse_acme_co_2');
    expect(() => tenantDatasetId({ tenantId: 't', slug: 'Acme Co' })).toThrow('cannot name a BigQuery dataset');
  });

  it('makes label values BigQuery accepts', () => {
    expect(labelValue('Customer KPIs / RFM')).toBe('customer_kpis___rfm');
    expect(labelValue('x'.repeat(70))).toHaveLength(63);
  });
});
