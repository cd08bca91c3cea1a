import { tenantDatasetId } from '@pulse/warehouse';
import { planLane } from './deploy/deploy-lane';
import { kustomizeBuild } from './manifests/kustomize';
import { containerValues, workloads, type PodSpec } from './manifests/workloads';
import { copyOfDeploy, describeWithKubectl, paths } from './testing/deploy.int-kit';
import { renderCommand } from './cli/commands';
import type { Manifest } from './workspace/yaml-files';

// Where each lane keeps uploads and the warehouse, read from the rendered objects, against values worked
// out by hand from deploy/k8s/components/gcp-settings/settings.env (project pulse-example, region
// southamerica-east1) and the local overlay. Variables given as configMapKeyRef are resolved from the render.

const STORAGE_KEYS = ['PULSE_STORAGE', 'PULSE_STORAGE_DIR', 'PULSE_STORAGE_BUCKET'];
const WAREHOUSE_KEYS = [
  'PULSE_WAREHOUSE',
  'PULSE_WAREHOUSE_DIR',
  'BIGQUERY_PROJECT',
  'BIGQUERY_LOCATION',
  'PULSE_WAREHOUSE_STAGING_BUCKET',
  'PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT',
  'PULSE_WAREHOUSE_DUCKDB_THREADS',
];

function deploymentsOf(lane: Manifest[]): Map<string, { pod: PodSpec; values: Record<string, string> }> {
  const result = new Map<string, { pod: PodSpec; values: Record<string, string> }>();
  for (const { manifest, pod } of workloads(lane)) {
    const container = pod.containers[0];
    if (manifest.kind === 'Deployment' && container) result.set(manifest.metadata.name, { pod, values: containerValues(container, lane) });
  }
  return result;
}

function pick(values: Record<string, string> | undefined, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((key) => (values?.[key] !== undefined ? [[key, values[key]]] : [])));
}

const gcsUploads = { PULSE_STORAGE: 'gcs', PULSE_STORAGE_BUCKET: 'pulse-example-uploads' };
const bigQuery = {
  PULSE_WAREHOUSE: 'bigquery',
  PULSE_WAREHOUSE_DIR: '/tmp/warehouse',
  BIGQUERY_PROJECT: 'pulse-example',
  BIGQUERY_LOCATION: 'southamerica-east1',
  PULSE_WAREHOUSE_STAGING_BUCKET: 'gs://pulse-example-warehouse-staging',
};

describeWithKubectl('warehouse and object storage in each lane', () => {
  it.each(['onboarding', 'production'] as const)('%s: uploads in the uploads bucket, the warehouse in BigQuery in the region of the buckets', (env) => {
    const services = deploymentsOf(planLane(paths, env).lane);
    expect(pick(services.get('api')?.values, STORAGE_KEYS)).toEqual(gcsUploads);
    expect(pick(services.get('ingestion')?.values, STORAGE_KEYS)).toEqual(gcsUploads);
    // The registry erases an offboarded tenant's files there (tenants/<id>/).
    expect(pick(services.get('tenant-registry')?.values, STORAGE_KEYS)).toEqual(gcsUploads);
    expect(pick(services.get('ingestion')?.values, WAREHOUSE_KEYS)).toEqual(bigQuery);
    expect(pick(services.get('metrics')?.values, WAREHOUSE_KEYS)).toEqual(bigQuery);
    expect(pick(services.get('api')?.values, WAREHOUSE_KEYS)).toEqual({});
    expect(pick(services.get('tenant-registry')?.values, WAREHOUSE_KEYS)).toEqual({});
    expect(pick(services.get('metrics')?.values, STORAGE_KEYS)).toEqual({});
  });

  it("a dedicated api (the tenant's own workload) keeps uploads in the same bucket", async () => {
    const copy = copyOfDeploy();
    await renderCommand(copy, { tenantsFile: `${paths.workspaceRoot}/deploy/tenants.example.json`, check: false }, {
      log: () => undefined,
      environment: {},
      kubectl: () => {
        throw new Error('no kubectl calls expected');
      },
    });
    const services = deploymentsOf(planLane(copy, 'production').lane);
    expect(pick(services.get('api-acme')?.values, STORAGE_KEYS)).toEqual(gcsUploads);
  });

  it('local: both as files on one ReadWriteOnce claim mounted by api, ingestion, metrics and tenant-registry, which share a node', () => {
    const lane = planLane(paths, 'local').lane;
    const services = deploymentsOf(lane);
    const localStorage = { PULSE_STORAGE: 'local', PULSE_STORAGE_DIR: '/data/storage' };
    expect(pick(services.get('api')?.values, STORAGE_KEYS)).toEqual(localStorage);
    expect(pick(services.get('ingestion')?.values, STORAGE_KEYS)).toEqual(localStorage);
    expect(pick(services.get('tenant-registry')?.values, STORAGE_KEYS)).toEqual(localStorage);
    expect(pick(services.get('tenant-registry')?.values, WAREHOUSE_KEYS)).toEqual({});
    expect(pick(services.get('ingestion')?.values, WAREHOUSE_KEYS)).toEqual({ PULSE_WAREHOUSE: 'duckdb', PULSE_WAREHOUSE_DIR: '/data/warehouse' });
    expect(pick(services.get('metrics')?.values, WAREHOUSE_KEYS)).toEqual({
      PULSE_WAREHOUSE: 'duckdb',
      PULSE_WAREHOUSE_DIR: '/data/warehouse',
      PULSE_WAREHOUSE_DUCKDB_MEMORY_LIMIT: '768MiB',
      PULSE_WAREHOUSE_DUCKDB_THREADS: '2',
    });
    expect(services.get('metrics')?.values['METRICS_WORK_DIR']).toBe('/data/metrics-runs');

    const claim = lane.find((m) => m.kind === 'PersistentVolumeClaim') as unknown as { metadata: { name: string }; spec: { accessModes: string[] } };
    expect([claim.metadata.name, claim.spec.accessModes]).toEqual(['shared-data', ['ReadWriteOnce']]);
    for (const name of ['api', 'ingestion', 'metrics', 'tenant-registry']) {
      const pod = services.get(name)?.pod as PodSpec & { affinity?: unknown };
      const mount = pod.containers[0]?.volumeMounts?.find((m) => m.mountPath === '/data');
      expect({ name, claim: pod.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName, readOnly: mount?.readOnly }).toEqual({
        name,
        claim: 'shared-data',
        readOnly: undefined,
      });
      // ReadWriteOnce attaches to one node: every pod of the claim goes where the first one runs.
      expect(pod.affinity).toEqual({
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'pulse.dev/shared-data': 'local' } } }],
        },
      });
    }
    // Its exports stay off the storage folder that offboarding erases from.
    expect(services.get('tenant-registry')?.values['EXPORT_DIR']).toBe('/exports');
  });

  describe('infra', () => {
    let infra: Manifest[] = [];
    beforeAll(() => {
      infra = kustomizeBuild(paths.infra);
    });

    it('the staging bucket is private scratch space in the region of the datasets, emptied after 3 days', () => {
      const bucket = infra.find((m) => m.kind === 'StorageBucket' && m.metadata.name === 'warehouse-staging');
      expect(bucket?.spec).toEqual({
        resourceID: 'pulse-example-warehouse-staging',
        location: 'southamerica-east1',
        storageClass: 'STANDARD',
        uniformBucketLevelAccess: true,
        publicAccessPrevention: 'enforced',
        softDeletePolicy: { retentionDurationSeconds: 0 },
        lifecycleRule: [{ action: { type: 'Delete' }, condition: { age: 3 } }],
      });
      // BigQuery loads from the uploads bucket too: same region as the datasets (BIGQUERY_LOCATION).
      const uploads = infra.find((m) => m.kind === 'StorageBucket' && m.metadata.name === 'uploads');
      expect((uploads?.spec as { location: string }).location).toBe('southamerica-east1');
    });

    it('grants api, ingestion, metrics and tenant-registry exactly their warehouse and storage roles', () => {
      const grants = infra
        .filter((m) => m.kind === 'IAMPolicyMember')
        .map((m) => m.spec as { memberFrom?: { serviceAccountRef: { name: string } }; role: string; resourceRef: { kind: string; name?: string; external?: string }; condition?: { expression: string } })
        .filter(
          (spec) =>
            ['pulse-api', 'pulse-ingestion', 'pulse-metrics', 'pulse-tenant-registry'].includes(spec.memberFrom?.serviceAccountRef.name ?? '') &&
            !spec.role.startsWith('roles/pubsub.') &&
            !spec.role.endsWith('/pulseBroadcastSubscriber'),
        )
        .map((spec) => [spec.memberFrom?.serviceAccountRef.name, spec.role, spec.resourceRef.name ?? spec.resourceRef.external, spec.condition?.expression ?? ''].join(' | '))
        .sort();
      const tenantDatasets = 'resource.name.startsWith("projects/pulse-example/datasets/pulse_")';
      expect(grants).toEqual([
        'pulse-api | roles/cloudsql.client | pulse-example | ',
        'pulse-api | roles/storage.objectUser | uploads | ',
        'pulse-ingestion | projects/pulse-example/roles/pulseWarehouseDatasetCreator | pulse-example | ',
        `pulse-ingestion | roles/bigquery.dataEditor | pulse-example | ${tenantDatasets}`,
        'pulse-ingestion | roles/bigquery.jobUser | pulse-example | ',
        'pulse-ingestion | roles/cloudsql.client | pulse-example | ',
        'pulse-ingestion | roles/storage.objectUser | uploads | ',
        'pulse-metrics | projects/pulse-example/roles/pulseWarehouseDatasetCreator | pulse-example | ',
        `pulse-metrics | roles/bigquery.dataOwner | pulse-example | ${tenantDatasets}`,
        'pulse-metrics | roles/bigquery.jobUser | pulse-example | ',
        'pulse-metrics | roles/cloudsql.client | pulse-example | ',
        'pulse-metrics | roles/storage.objectUser | warehouse-staging | ',
        // Erasing an offboarded tenant's uploads and staged files, and offboarding exports.
        'pulse-tenant-registry | projects/pulse-example/roles/pulseObjectEraser | uploads | ',
        'pulse-tenant-registry | roles/cloudsql.client | pulse-example | ',
        'pulse-tenant-registry | roles/storage.objectUser | exports | ',
      ]);
      const role = infra.find((m) => m.kind === 'IAMCustomRole' && m.metadata.name === 'pulse-warehouse-dataset-creator');
      expect(role?.spec).toMatchObject({ resourceID: 'pulseWarehouseDatasetCreator', permissions: ['bigquery.datasets.create'] });
      // What deleteObjectsUnder calls on GCS (list, then delete each object), and nothing that reads a file.
      const eraser = infra.find((m) => m.kind === 'IAMCustomRole' && m.metadata.name === 'pulse-object-eraser');
      expect(eraser?.spec).toMatchObject({ resourceID: 'pulseObjectEraser', permissions: ['storage.objects.delete', 'storage.objects.list'] });
    });

    it("the dataset condition covers the warehouse's tenant datasets", () => {
      const dataset = tenantDatasetId({ tenantId: '0b7c1a52-7f0e-4c39-9a53-2d4f6c8e1f00', slug: 'acme-co' });
      expect(dataset).toBe('pulse_acme_co');
      for (const name of ['ingestion-bigquery-tenant-data', 'metrics-bigquery-tenant-data']) {
        const expression = (infra.find((m) => m.kind === 'IAMPolicyMember' && m.metadata.name === name)?.spec as { condition: { expression: string } }).condition.expression;
        const prefix = /^resource\.name\.startsWith\("([^"]+)"\)$/.exec(expression)?.[1] ?? '(no prefix)';
        expect(`projects/pulse-example/datasets/${dataset}`.startsWith(prefix)).toBe(true);
        expect(`projects/pulse-example/datasets/analytics_prod`.startsWith(prefix)).toBe(false);
      }
    });
  });
});
