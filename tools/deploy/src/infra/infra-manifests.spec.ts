import { EVENT_CATALOG } from '@pulse/contracts';
import { deadLetterHoldSubscriptionName, deadLetterTopicName, subscriptionName } from '@pulse/messaging';
import * as names from './pubsub-names';
import { pubsubManifests, workloadIdentityManifests } from './infra-manifests';
import { checkTopologyAgainstCatalog, type PubSubTopology } from './pubsub-topology';
import { readPubSubTopology } from './pubsub-topology';
import type { GcpSettings } from '../workspace/settings';
import { deployPaths, findWorkspaceRoot } from '../workspace/workspace';

const settings = { PROJECT_NUMBER: '123', WORKLOAD_POOL: 'p.svc.id.goog' } as GcpSettings;
// The committed data file itself.
const topology: PubSubTopology = readPubSubTopology(deployPaths(findWorkspaceRoot(__dirname)).pubsubConsumers);
const catalog = EVENT_CATALOG.map((c) => c.topic);

type Doc = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };

describe('Pub/Sub infrastructure', () => {
  const manifests = pubsubManifests(topology, catalog, settings) as Doc[];
  const named = (kind: string) => manifests.filter((m) => m.kind === kind).map((m) => m.metadata.name);

  it('uses the names libs/messaging looks for', () => {
    expect(names.subscriptionName('a.v1', 'svc')).toBe(subscriptionName('a.v1', 'svc'));
    expect(names.deadLetterTopicName('a.v1.svc')).toBe(deadLetterTopicName('a.v1.svc'));
    expect(names.deadLetterHoldSubscriptionName('a.v1.svc')).toBe(deadLetterHoldSubscriptionName('a.v1.svc'));
  });

  it('declares a topic for every EVENT_CATALOG topic, and the data file names only catalog topics', () => {
    for (const topic of catalog) expect(named('PubSubTopic')).toContain(topic);
    expect(checkTopologyAgainstCatalog(topology, catalog)).toEqual([]);
    expect(checkTopologyAgainstCatalog({ ...topology, consumers: { api: ['nope.v1'] }, broadcastConsumers: {}, publishers: {} }, ['a.v1'])).toEqual([
      'api consumes nope.v1, which is not in EVENT_CATALOG',
      'no service publishes a.v1',
    ]);
  });

  it('gives each consumer one subscription per topic it handles, with dead letters and the retry policy', () => {
    expect(named('PubSubSubscription').filter((n) => !n.endsWith('.hold')).sort()).toEqual([
      'ingestion.completed.v1.metrics',
      'ingestion.requested.v1.ingestion',
      'metrics.refresh-requested.v1.metrics',
      'tenant.offboarded.v1.metrics',
      'tenant.updated.v1.ingestion',
    ]);
    const sub = manifests.find((m) => m.metadata.name === 'ingestion.requested.v1.ingestion');
    expect(sub?.spec).toEqual({
      resourceID: 'ingestion.requested.v1.ingestion',
      topicRef: { name: 'ingestion.requested.v1' },
      ackDeadlineSeconds: 60,
      enableMessageOrdering: true,
      messageRetentionDuration: '604800s',
      expirationPolicy: { ttl: '' },
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
      deadLetterPolicy: { deadLetterTopicRef: { name: 'ingestion.requested.v1.ingestion.dead-letter' }, maxDeliveryAttempts: 5 },
    });
    expect(named('PubSubTopic')).toContain('ingestion.requested.v1.ingestion.dead-letter');
    expect(named('PubSubSubscription')).toContain('ingestion.requested.v1.ingestion.dead-letter.hold');
  });

  it("lets the api's replicas manage their own tenant-event subscriptions, and no others", () => {
    const role = manifests.find((m) => m.kind === 'IAMCustomRole');
    expect(role?.spec).toMatchObject({
      resourceID: 'pulseBroadcastSubscriber',
      permissions: ['pubsub.subscriptions.consume', 'pubsub.subscriptions.create', 'pubsub.subscriptions.delete', 'pubsub.subscriptions.get'],
    });
    const broadcast = manifests.find((m) => m.metadata.name === 'broadcast-api.tenant.updated.v1');
    const spec = broadcast?.spec as { condition: { expression: string }; role: string };
    expect(spec.role).toMatch(/\/roles\/pulseBroadcastSubscriber$/);
    expect(spec.condition.expression).toMatch(/^resource\.name\.startsWith\("projects\/[a-z0-9-]+\/subscriptions\/tenant\.updated\.v1\.api\."\)$/);
    expect(manifests.some((m) => m.metadata.name === 'attach-api.tenant.updated.v1')).toBe(true);
  });

  it('grants least privilege: publish on own topics, subscribe on own subscriptions, dead-lettering for the Pub/Sub agent', () => {
    const grants = manifests
      .filter((m) => m.kind === 'IAMPolicyMember')
      .map((m) => {
        const spec = m.spec as { role: string; resourceRef: { name: string }; member?: string; memberFrom?: { serviceAccountRef: { name: string } } };
        return `${spec.member ?? spec.memberFrom?.serviceAccountRef.name} ${spec.role} ${spec.resourceRef.name}`;
      });
    expect(grants).toContain('pulse-api roles/pubsub.publisher ingestion.requested.v1');
    expect(grants).toContain('pulse-ingestion roles/pubsub.subscriber ingestion.requested.v1.ingestion');
    expect(grants).toContain('serviceAccount:service-123@gcp-sa-pubsub.iam.gserviceaccount.com roles/pubsub.publisher ingestion.requested.v1.ingestion.dead-letter');
    expect(grants).toContain('serviceAccount:service-123@gcp-sa-pubsub.iam.gserviceaccount.com roles/pubsub.subscriber ingestion.requested.v1.ingestion');
    // A consumer dead-letters at once what can never succeed: each publishes to its own subscriptions' dead-letter topics, no other.
    expect(grants.filter((g) => g.startsWith('pulse-metrics roles/pubsub.publisher') && g.endsWith('.dead-letter')).sort()).toEqual([
      'pulse-metrics roles/pubsub.publisher ingestion.completed.v1.metrics.dead-letter',
      'pulse-metrics roles/pubsub.publisher metrics.refresh-requested.v1.metrics.dead-letter',
      'pulse-metrics roles/pubsub.publisher tenant.offboarded.v1.metrics.dead-letter',
    ]);
    // The api only attaches its replicas' own subscriptions to tenant.provisioned (cache invalidation).
    expect(grants.filter((g) => g.startsWith('pulse-api ') && g.includes('tenant.provisioned'))).toEqual(['pulse-api roles/pubsub.subscriber tenant.provisioned.v1']);
    expect(grants.filter((g) => g.startsWith('pulse-metrics roles/pubsub.subscriber')).sort()).toEqual([
      'pulse-metrics roles/pubsub.subscriber ingestion.completed.v1.metrics',
      'pulse-metrics roles/pubsub.subscriber metrics.refresh-requested.v1.metrics',
      'pulse-metrics roles/pubsub.subscriber tenant.offboarded.v1.metrics',
    ]);
  });

  it('binds each lane ServiceAccount to its Google service account', () => {
    const members = (workloadIdentityManifests(settings) as Doc[]).map((m) => `${(m.spec as { member: string }).member} -> ${(m.spec as { resourceRef: { name: string } }).resourceRef.name}`);
    expect(members).toContain('serviceAccount:p.svc.id.goog[pulse-production/api] -> pulse-api');
    expect(members).toContain('serviceAccount:p.svc.id.goog[pulse-onboarding/migrator] -> pulse-migrator');
    expect(members).toContain('serviceAccount:p.svc.id.goog[external-secrets/external-secrets] -> pulse-external-secrets');
    expect(members).toHaveLength(11);
  });
});
