import { readFileSync } from 'node:fs';
import { EVENT_CATALOG } from '@pulse/contracts';
import { ENVIRONMENTS, planLane, type Environment } from './deploy/deploy-lane';
import { readPubSubTopology } from './infra/pubsub-topology';
import { kustomizeBuild } from './manifests/kustomize';
import { checkPubSubSettings } from './manifests/policies';
import { validateManifests } from './manifests/schema-validation';
import { configMapData } from './manifests/workloads';
import { renderCommand } from './cli/commands';
import { copyOfDeploy, describeWithKubectl, paths } from './testing/deploy.int-kit';
import type { Manifest } from './workspace/yaml-files';

const noKubectl = () => {
  throw new Error('no kubectl calls expected');
};

describeWithKubectl('deploy/k8s rendered with kubectl kustomize', () => {
  it.each(Object.keys(ENVIRONMENTS) as Environment[])('the %s lane and its migrations render, validate and pass every policy', (env) => {
    const plan = planLane(paths, env);
    expect(plan.problems).toEqual([]);
    const deployments = plan.lane.filter((m) => m.kind === 'Deployment' && m.metadata.labels && (m.metadata.labels as Record<string, string>)['app.kubernetes.io/part-of'] === 'pulse');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['api', 'ingestion', 'metrics', 'tenant-registry']);
    expect(plan.migrations.filter((m) => m.kind === 'Job').map((m) => m.metadata.name).sort()).toEqual(['control-plane-migration', 'tenant-migration']);
  });

  it.each(['onboarding', 'production'] as const)('the %s lane runs the Cloud SQL proxy as a native sidecar in every workload and has no local pieces', (env) => {
    const plan = planLane(paths, env);
    for (const m of [...plan.lane, ...plan.migrations].filter((m) => m.kind === 'Deployment' || m.kind === 'Job')) {
      const init = (m.spec as { template: { spec: { initContainers?: Array<{ name: string; restartPolicy?: string }> } } }).template.spec.initContainers ?? [];
      expect(init.map((c) => [c.name, c.restartPolicy])).toEqual([['cloud-sql-proxy', 'Always']]);
    }
    expect(plan.lane.filter((m) => ['StatefulSet', 'Secret'].includes(m.kind))).toEqual([]);
  });

  it('the local lane needs no Google Cloud: no Workload Identity, no proxy, the emulator and in-cluster PostgreSQL', () => {
    const plan = planLane(paths, 'local');
    const text = JSON.stringify(plan.lane);
    expect(text).not.toContain('iam.gke.io');
    expect(text).not.toContain('cloud-sql-proxy');
    expect(text).not.toContain('ExternalSecret');
    expect(configMapData(plan.lane, 'api-config')).toMatchObject({ PUBSUB_EMULATOR_HOST: 'pubsub-emulator:8085', PUBSUB_AUTO_CREATE: 'true' });
    expect(plan.lane.find((m) => m.kind === 'StatefulSet')?.metadata.name).toBe('postgres');
  });

  it("each lane's PUBSUB_* settings match the subscriptions infrastructure declares", () => {
    const policy = readPubSubTopology(paths.pubsubConsumers).subscriptionPolicy;
    for (const env of Object.keys(ENVIRONMENTS) as Environment[]) expect(checkPubSubSettings(planLane(paths, env).lane, policy)).toEqual([]);
  });

  describe('infra (Config Connector)', () => {
    let infra: Manifest[] = [];
    beforeAll(() => {
      infra = kustomizeBuild(paths.infra);
    });
    const names = (kind: string) => infra.filter((m) => m.kind === kind).map((m) => m.metadata.name);

    it('validates against the Config Connector, GKE and Gateway API schemas', () => {
      expect(validateManifests(infra)).toEqual([]);
    });

    it('declares every Pub/Sub topic of EVENT_CATALOG, and every subscription has its topic and dead-letter topic', () => {
      for (const { topic } of EVENT_CATALOG) expect(names('PubSubTopic')).toContain(topic);
      for (const sub of infra.filter((m) => m.kind === 'PubSubSubscription')) {
        const spec = sub.spec as { topicRef: { name: string }; deadLetterPolicy?: { deadLetterTopicRef: { name: string } } };
        expect(names('PubSubTopic')).toContain(spec.topicRef.name);
        if (spec.deadLetterPolicy) expect(names('PubSubTopic')).toContain(spec.deadLetterPolicy.deadLetterTopicRef.name);
      }
    });

    it('grants roles only to declared service accounts and resources', () => {
      const accounts = names('IAMServiceAccount');
      for (const member of infra.filter((m) => m.kind === 'IAMPolicyMember')) {
        const spec = member.spec as { role: string; memberFrom?: { serviceAccountRef: { name: string } }; resourceRef: { kind: string; name?: string } };
        if (spec.memberFrom) expect(accounts).toContain(spec.memberFrom.serviceAccountRef.name);
        if (spec.resourceRef.name) expect(names(spec.resourceRef.kind)).toContain(spec.resourceRef.name);
        expect(spec.role).not.toMatch(/roles\/(owner|editor)$/);
      }
    });

    it('leaves no placeholder behind and abandons (never deletes) stateful resources', () => {
      const text = JSON.stringify(infra.filter((m) => m.kind !== 'ConfigMap'));
      expect(text.match(/\b(PROJECT_ID|PROJECT_NUMBER|REGION|BASE_DOMAIN|SQL_INSTANCE|UPLOADS_BUCKET|EXPORTS_BUCKET|WAREHOUSE_STAGING_BUCKET|GSA_DOMAIN)\b/g)).toBeNull();
      for (const m of infra.filter((m) => ['SQLInstance', 'SQLDatabase', 'StorageBucket', 'ComputeAddress'].includes(m.kind))) {
        expect((m.metadata.annotations as Record<string, string>)['cnrm.cloud.google.com/deletion-policy']).toBe('abandon');
      }
    });
  });

  describe('with three tenants (dedicated, onboarding, custom hostname) from deploy/tenants.example.json', () => {
    let copy = paths;
    const log: string[] = [];
    beforeAll(async () => {
      copy = copyOfDeploy();
      await renderCommand(copy, { tenantsFile: `${paths.workspaceRoot}/deploy/tenants.example.json`, check: false }, { log: (l) => log.push(l), environment: {}, kubectl: noKubectl });
    });

    it('production renders, validates and passes the policies, with the dedicated api pinned to its tenant', () => {
      const plan = planLane(copy, 'production');
      expect(plan.problems).toEqual([]);
      expect(configMapData(plan.lane, 'api-config-acme')).toMatchObject({ PULSE_DEDICATED_TENANT: 'acme' });
      expect(configMapData(plan.lane, 'api-config')?.['PULSE_DEDICATED_TENANT']).toBeUndefined();
      const dedicated = plan.lane.find((m) => m.kind === 'Deployment' && m.metadata.name === 'api-acme');
      const podSpec = (dedicated?.spec as { template: { spec: { serviceAccountName: string; initContainers: Array<{ name: string }> } } }).template.spec;
      expect(podSpec.serviceAccountName).toBe('api');
      expect(podSpec.initContainers.map((c) => c.name)).toEqual(['cloud-sql-proxy']);
      const routes = plan.lane.filter((m) => m.kind === 'HTTPRoute').map((m) => {
        const spec = m.spec as { hostnames: string[]; rules: Array<{ backendRefs: Array<{ name: string }> }> };
        return [m.metadata.name, spec.hostnames, spec.rules[0]?.backendRefs[0]?.name];
      });
      expect(routes).toEqual([
        ['tenant-acme', ['acme.pulse.example.com'], 'api-acme'],
        ['tenant-initech', ['initech.pulse.example.com', 'metrics.initech.com.br'], 'api'],
      ]);
      // The shared api's Service does not select the dedicated pods.
      const apiService = plan.lane.find((m) => m.kind === 'Service' && m.metadata.name === 'api');
      expect((apiService?.spec as { selector: Record<string, string> }).selector['app.kubernetes.io/instance']).toBe('api');
      expect(plan.certificates.filter((m) => m.kind === 'CertificateManagerCertificateMapEntry').map((m) => (m.spec as { hostname: string }).hostname)).toEqual([
        'metrics.initech.com.br',
      ]);
    });

    it('onboarding routes only the onboarding tenant', () => {
      const plan = planLane(copy, 'onboarding');
      expect(plan.problems).toEqual([]);
      expect(plan.lane.filter((m) => m.kind === 'HTTPRoute').map((m) => m.metadata.name)).toEqual(['tenant-globex']);
    });

    it('the infra kustomization takes the generated certificates', () => {
      const infra = kustomizeBuild(copy.infra);
      expect(validateManifests(infra)).toEqual([]);
      expect(infra.filter((m) => m.kind === 'CertificateManagerCertificate').map((m) => m.metadata.namespace)).toEqual(['pulse-infra', 'pulse-infra']);
    });
  });

  it.each(Object.keys(ENVIRONMENTS) as Environment[])("%s: only ingestion (syncs) and the api (connection tests) reach tenants' databases on the internet", (env) => {
    type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };
    type Policy = { podSelector: Selector; egress?: Array<{ to?: Array<{ ipBlock?: { cidr: string } }>; ports?: Array<{ port: number }> }> };
    const selects = (selector: Selector, labels: Record<string, string>) =>
      Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
      (selector.matchExpressions ?? []).every((e) => e.operator === 'In' && (e.values ?? []).includes(labels[e.key] ?? ''));
    const lane = planLane(paths, env).lane;
    const toInternetSql = lane
      .filter((m) => m.kind === 'NetworkPolicy')
      .map((m) => m.spec as unknown as Policy)
      .filter((p) => (p.egress ?? []).some((rule) => rule.to?.some((t) => t.ipBlock?.cidr === '0.0.0.0/0') && rule.ports?.some((port) => port.port === 5432)));
    const reaching = lane
      .filter((m) => m.kind === 'Deployment')
      .filter((m) => toInternetSql.some((p) => selects(p.podSelector, (m.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels)))
      .map((m) => m.metadata.name)
      .sort();
    expect(reaching).toEqual(['api', 'ingestion']);
  });

  it('the gateway is the only entry point and accepts routes from both lanes', () => {
    const gateway = kustomizeBuild(paths.infra).find((m) => m.kind === 'Gateway');
    expect(JSON.stringify(gateway)).toContain('"values":["onboarding","production"]');
    for (const env of ['onboarding', 'production']) {
      const ns = readFileSync(`${paths.overlay(env)}/namespace.yaml`, 'utf8');
      expect(ns).toContain(`pulse.dev/lane: ${env}`);
    }
  });
});
