import { checkDataPlacement } from './data-placement';
import type { Manifest } from '../workspace/yaml-files';

type Volume = Record<string, unknown> & { name: string };

/** A Pulse Deployment of `app` with these literal variables, mounts and volumes (tmp is always there). */
function service(app: string, env: Record<string, string>, mounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> = [], volumes: Volume[] = [], name = app): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'lane' },
    spec: {
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': app } },
        spec: {
          containers: [
            {
              name: app,
              command: ['node', `dist/apps/${app}/main.js`],
              env: Object.entries(env).map(([key, value]) => ({ name: key, value })),
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...mounts],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }, ...volumes],
        },
      },
    },
  };
}

const sharedMount = [{ name: 'data', mountPath: '/data' }];
const sharedClaim = [{ name: 'data', persistentVolumeClaim: { claimName: 'shared-data' } }];
const localStorage = { PULSE_STORAGE: 'local', PULSE_STORAGE_DIR: '/data/storage' };
const duckdb = { PULSE_WAREHOUSE: 'duckdb', PULSE_WAREHOUSE_DIR: '/data/warehouse' };
const bigquery = {
  PULSE_WAREHOUSE: 'bigquery',
  PULSE_WAREHOUSE_DIR: '/tmp/warehouse',
  BIGQUERY_PROJECT: 'pulse-example',
  BIGQUERY_LOCATION: 'southamerica-east1',
  PULSE_WAREHOUSE_STAGING_BUCKET: 'gs://pulse-example-warehouse-staging',
};
const gcs = { PULSE_STORAGE: 'gcs', PULSE_STORAGE_BUCKET: 'pulse-example-uploads' };

describe('checkDataPlacement', () => {
  it('accepts the local lane: folders on one claim shared by api, ingestion, metrics and tenant-registry', () => {
    expect(
      checkDataPlacement([
        service('api', localStorage, sharedMount, sharedClaim),
        service('ingestion', { ...localStorage, ...duckdb }, sharedMount, sharedClaim),
        service('metrics', duckdb, sharedMount, sharedClaim),
        service('tenant-registry', localStorage, sharedMount, sharedClaim),
      ]),
    ).toEqual([]);
  });

  it('accepts the GKE lanes: one bucket for uploads, one BigQuery project, location and staging bucket', () => {
    expect(
      checkDataPlacement([
        service('api', gcs),
        service('api', gcs, [], [], 'api-acme'),
        service('ingestion', { ...gcs, ...bigquery }),
        service('metrics', bigquery),
        service('tenant-registry', gcs),
      ]),
    ).toEqual([]);
  });

  it('wants the tenant registry on the same object storage as the api and ingestion (it erases offboarded tenants there)', () => {
    expect(
      checkDataPlacement([
        service('api', gcs),
        service('ingestion', { ...gcs, ...bigquery }),
        service('metrics', bigquery),
        service('tenant-registry', {}),
      ]),
    ).toEqual(['Deployment/tenant-registry (lane): storage: PULSE_STORAGE is not set (its default keeps files in a relative folder of a read-only image)']);
    expect(
      checkDataPlacement([
        service('api', localStorage, sharedMount, sharedClaim),
        service('ingestion', { ...localStorage, ...duckdb }, sharedMount, sharedClaim),
        service('metrics', duckdb, sharedMount, sharedClaim),
        service('tenant-registry', { PULSE_STORAGE: 'local', PULSE_STORAGE_DIR: '/tmp/storage' }),
      ]),
    ).toEqual(['Deployment/tenant-registry (lane): storage: PULSE_STORAGE_DIR /tmp/storage is on volume tmp of the pod, which no other pod can see']);
  });

  it('wants the backend chosen explicitly, and the rules between variables kept', () => {
    expect(
      checkDataPlacement([
        service('api', {}),
        service('ingestion', { PULSE_STORAGE: 'gcs', PULSE_WAREHOUSE: 'bigquery', PULSE_WAREHOUSE_DIR: '/tmp/warehouse', BIGQUERY_PROJECT: 'pulse-example' }),
        service('metrics', { ...bigquery, PULSE_WAREHOUSE_STAGING_BUCKET: 'pulse-example-warehouse-staging' }),
      ]),
    ).toEqual([
      'Deployment/api (lane): storage: PULSE_STORAGE is not set (its default keeps files in a relative folder of a read-only image)',
      'Deployment/ingestion (lane): storage: PULSE_STORAGE_BUCKET: is required when PULSE_STORAGE=gcs',
      'Deployment/ingestion (lane): warehouse: BIGQUERY_LOCATION: is required when PULSE_WAREHOUSE=bigquery',
      'Deployment/ingestion (lane): warehouse: PULSE_WAREHOUSE_STAGING_BUCKET: is required when PULSE_WAREHOUSE=bigquery',
      'Deployment/metrics (lane): warehouse: PULSE_WAREHOUSE_STAGING_BUCKET: must be gs://bucket[/prefix]',
    ]);
  });

  it('refuses folders the service cannot write or another pod cannot see', () => {
    expect(
      checkDataPlacement([
        service('api', { PULSE_STORAGE: 'local', PULSE_STORAGE_DIR: 'uploads' }),
        service('ingestion', { ...localStorage, ...duckdb }, [{ name: 'data', mountPath: '/data', readOnly: true }], sharedClaim),
        service('metrics', { PULSE_WAREHOUSE: 'duckdb', PULSE_WAREHOUSE_DIR: '/tmp/warehouse' }),
      ]),
    ).toEqual([
      'Deployment/api (lane): storage: PULSE_STORAGE_DIR uploads is relative (the working directory is the read-only image)',
      'Deployment/ingestion (lane): storage: PULSE_STORAGE_DIR: /data/storage is on a read-only mount',
      'Deployment/ingestion (lane): warehouse: PULSE_WAREHOUSE_DIR: /data/warehouse is on a read-only mount',
      'Deployment/metrics (lane): warehouse: PULSE_WAREHOUSE_DIR /tmp/warehouse is on volume tmp of the pod, which no other pod can see',
    ]);
  });

  it('names the services that disagree on where the data is', () => {
    expect(
      checkDataPlacement([
        service('api', gcs),
        service('ingestion', { ...localStorage, ...bigquery }, sharedMount, sharedClaim),
        service('metrics', { ...bigquery, BIGQUERY_LOCATION: 'US' }),
      ]),
    ).toEqual([
      'Deployment/ingestion (lane): the BigQuery warehouse loads staged files from gs:// only, but object storage is local',
      'storage is not shared: Deployment/api (lane) uses gcs bucket pulse-example-uploads; Deployment/ingestion (lane) uses local /data/storage on claim shared-data',
      'warehouse is not shared: Deployment/ingestion (lane) uses bigquery project pulse-example, location southamerica-east1, staging gs://pulse-example-warehouse-staging; ' +
        'Deployment/metrics (lane) uses bigquery project pulse-example, location US, staging gs://pulse-example-warehouse-staging',
    ]);
  });
});
