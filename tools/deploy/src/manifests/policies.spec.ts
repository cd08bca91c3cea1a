import { checkContainers, checkPulseServices, imageProblem } from './policies';
import { containerEnvironment } from './workloads';
import type { Manifest } from '../workspace/yaml-files';

const labels = { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'api' };

function deployment(container: Record<string, unknown>, pod: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'lane' },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{ name: 'api', ...container }],
          ...pod,
        },
      },
    },
  };
}

const fit = {
  image: 'registry/pulse/api:1.2.3',
  command: ['node', 'dist/apps/api/main.js'],
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
  livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
  readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
  startupProbe: { httpGet: { path: '/healthz', port: 'http' } },
  lifecycle: { preStop: { sleep: { seconds: 10 } } },
  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  envFrom: [{ configMapRef: { name: 'api-config' } }],
};
const podFit = { volumes: [{ name: 'tmp', emptyDir: {} }], topologySpreadConstraints: [{}], terminationGracePeriodSeconds: 35 };
const companions: Manifest[] = [
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api-config' }, data: { SHUTDOWN_TIMEOUT_MS: '20000' } },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'api' }, spec: { scaleTargetRef: { name: 'api' } } },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'api' }, spec: { selector: { matchLabels: labels } } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: { selector: labels } },
];

describe('policies', () => {
  it('accepts a fit service', () => {
    const manifests = [deployment(fit, podFit), ...companions];
    expect(checkContainers(manifests)).toEqual([]);
    expect(checkPulseServices(manifests)).toEqual([]);
  });

  it('pins images', () => {
    expect(imageProblem('registry:5000/pulse/api:1.2.3')).toBeUndefined();
    expect(imageProblem(`registry/pulse/api@sha256:${'0'.repeat(64)}`)).toBeUndefined();
    expect(imageProblem('registry:5000/pulse/api')).toBe('image registry:5000/pulse/api is not pinned (no tag or digest)');
    expect(imageProblem('pulse/api:latest')).toBe('image pulse/api:latest uses :latest');
  });

  it('names each missing safeguard of a container', () => {
    const { resources: _r, livenessProbe: _l, securityContext: _s, ...bare } = fit;
    expect(checkContainers([deployment({ ...bare, image: 'pulse/api:latest' })])).toEqual([
      'Deployment/api (lane): container api: image pulse/api:latest uses :latest',
      'Deployment/api (lane): container api: no cpu request',
      'Deployment/api (lane): container api: no memory request',
      'Deployment/api (lane): container api: no cpu limit',
      'Deployment/api (lane): container api: no memory limit',
      'Deployment/api (lane): container api: no liveness probe',
      'Deployment/api (lane): container api: root filesystem is writable (readOnlyRootFilesystem is not true)',
      'Deployment/api (lane): container api: allowPrivilegeEscalation is not false',
      'Deployment/api (lane): container api: does not drop ALL capabilities',
    ]);
  });

  it('wants the grace period to cover the preStop sleep and the drain, and an HPA, PDB and Service', () => {
    expect(checkPulseServices([deployment(fit, { ...podFit, terminationGracePeriodSeconds: 30 }), companions[0] as Manifest])).toEqual([
      'Deployment/api (lane): terminationGracePeriodSeconds 30 must exceed preStop 10 s + SHUTDOWN_TIMEOUT_MS 20000 ms',
      'Deployment/api (lane): no HorizontalPodAutoscaler',
      'Deployment/api (lane): no PodDisruptionBudget',
      'Deployment/api (lane): no Service',
    ]);
  });

  it('resolves a container environment like Kubernetes: envFrom in order, then env', () => {
    const container = {
      name: 'api',
      envFrom: [{ configMapRef: { name: 'api-config' } }, { secretRef: { name: 'api-secrets' } }],
      env: [{ name: 'SHUTDOWN_TIMEOUT_MS', value: '5000' }, { name: 'MISSING', valueFrom: { secretKeyRef: { name: 'api-secrets', key: 'NOPE' } } }],
    };
    const context: Manifest[] = [
      companions[0] as Manifest,
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'api-secrets' }, spec: { target: { name: 'api-secrets' }, data: [{ secretKey: 'DATABASE_URL' }] } },
    ];
    expect(Object.fromEntries(containerEnvironment(container, context))).toEqual({
      SHUTDOWN_TIMEOUT_MS: { value: '5000' },
      DATABASE_URL: { secret: { name: 'api-secrets', key: 'DATABASE_URL' } },
      MISSING: { unresolved: 'Secret api-secrets has no key NOPE' },
    });
  });
});
