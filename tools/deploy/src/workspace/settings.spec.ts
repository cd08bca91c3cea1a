import { gcpSettingsSchema, parseEnvFile } from './settings';

const valid = {
  PROJECT_ID: 'pulse-example',
  PROJECT_NUMBER: '123456789012',
  REGION: 'southamerica-east1',
  GSA_DOMAIN: 'pulse-example.iam.gserviceaccount.com',
  WORKLOAD_POOL: 'pulse-example.svc.id.goog',
  SQL_INSTANCE: 'pulse-postgres',
  SQL_INSTANCE_CONNECTION_NAME: 'pulse-example:southamerica-east1:pulse-postgres',
  UPLOADS_BUCKET: 'pulse-example-uploads',
  EXPORTS_BUCKET: 'pulse-example-exports',
  WAREHOUSE_STAGING_BUCKET: 'pulse-example-warehouse-staging',
  WAREHOUSE_STAGING_URI: 'gs://pulse-example-warehouse-staging',
  BASE_DOMAIN: 'pulse.example.com',
};

describe('gcp settings', () => {
  it('accepts consistent settings', () => {
    expect(gcpSettingsSchema.safeParse(valid).success).toBe(true);
  });

  it('wants the values kustomize cannot derive spelled out in agreement (the staging URI names the staging bucket)', () => {
    const result = gcpSettingsSchema.safeParse({ ...valid, WAREHOUSE_STAGING_BUCKET: 'pulse-other-staging' });
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'WAREHOUSE_STAGING_URI: must be gs://pulse-other-staging (derived from the other settings)',
    ]);
  });

  it('reads KEY=VALUE lines, skipping comments and blank lines', () => {
    expect(parseEnvFile('# a comment\nA=1\n\nB=gs://x=y\n')).toEqual({ A: '1', B: 'gs://x=y' });
    expect(() => parseEnvFile('A=1\nnot a pair\n')).toThrow('line 2: expected KEY=VALUE, got "not a pair"');
  });
});
