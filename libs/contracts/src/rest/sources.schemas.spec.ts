import { filesConnectionSchema } from './sources.schemas';

describe('filesConnectionSchema', () => {
  const accepts = (connection: Record<string, unknown>) => filesConnectionSchema.safeParse({ kind: 'files', ...connection }).success;

  it('takes buckets and regions as the clouds name them', () => {
    expect(accepts({ url: 's3://lake-2026/daily/*.csv', region: 'sa-east-1' })).toBe(true);
    expect(accepts({ url: 'gs://pulse_exports.example.com/orders.ndjson' })).toBe(true);
    expect(accepts({ url: 's3://exports' })).toBe(true);
    expect(accepts({ url: 'https://files.example.com/export.csv' })).toBe(true);
  });

  it('refuses a bucket or region that would put another host in the S3 request', () => {
    // Each would have sent the signed listing to attacker.example.
    expect(accepts({ url: 's3://attacker.example#/x' })).toBe(false);
    expect(accepts({ url: 's3://attacker.example:443/x' })).toBe(false);
    expect(accepts({ url: 's3://user@attacker.example/x' })).toBe(false);
    expect(accepts({ url: 's3://exports/x', region: 'x.attacker.example/' })).toBe(false);
    expect(accepts({ url: 's3://exports/x', region: 'us-east-1.attacker.example' })).toBe(false);
  });
});
