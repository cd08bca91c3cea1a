import { deadLetterHoldSubscriptionName, deadLetterTopicName, subscriptionName } from './pubsub-names';
import type { PubSubTopology } from './pubsub-topology';
import type { GcpSettings } from '../workspace/settings';
import type { FileSet } from '../workspace/yaml-files';
import { toYamlDocuments } from '../workspace/yaml-files';
import { LANES } from '../tenants/tenant-routing';

const PUBSUB = 'pubsub.cnrm.cloud.google.com/v1beta1';
const IAM = 'iam.cnrm.cloud.google.com/v1beta1';

/** The Kubernetes ServiceAccounts of a lane that act as Google service accounts (pulse-<ksa>). */
export const LANE_SERVICE_ACCOUNTS = ['api', 'ingestion', 'metrics', 'migrator', 'tenant-registry'] as const;

function topic(name: string, labels: Record<string, string>) {
  return { apiVersion: PUBSUB, kind: 'PubSubTopic', metadata: { name, labels }, spec: { resourceID: name } };
}

function member(
  name: string,
  role: string,
  resourceRef: Record<string, string>,
  who: { gsa: string } | { member: string },
  condition?: { title: string; expression: string },
) {
  return {
    apiVersion: IAM,
    kind: 'IAMPolicyMember',
    metadata: { name },
    spec: {
      ...('gsa' in who ? { memberFrom: { serviceAccountRef: { name: `pulse-${who.gsa}` } } } : { member: who.member }),
      role,
      resourceRef,
      ...(condition ? { condition } : {}),
    },
  };
}

/** The custom role with which a replica manages its own broadcast subscriptions (and nothing else). */
const BROADCAST_ROLE_ID = 'pulseBroadcastSubscriber';

function broadcastRole() {
  return {
    apiVersion: IAM,
    kind: 'IAMCustomRole',
    metadata: { name: 'pulse-broadcast-subscriber' },
    spec: {
      resourceID: BROADCAST_ROLE_ID,
      title: 'Pulse per-replica subscriptions',
      permissions: ['pubsub.subscriptions.consume', 'pubsub.subscriptions.create', 'pubsub.subscriptions.delete', 'pubsub.subscriptions.get'],
      stage: 'GA',
    },
  };
}

/**
 * Topics for every catalog topic; per consumer and topic a subscription with the declared retry policy and
 * a dead-letter topic (+ a .hold subscription that keeps dead letters for inspection); least-privilege IAM:
 * publisher on exactly the topics a service publishes and on its subscriptions' dead-letter topics,
 * subscriber on exactly its subscriptions, and the Pub/Sub service agent's rights that dead-lettering needs.
 */
export function pubsubManifests(topology: PubSubTopology, catalogTopics: readonly string[], settings: GcpSettings): unknown[] {
  const policy = topology.subscriptionPolicy;
  const pubsubAgent = `serviceAccount:service-${settings.PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;
  const topics = [...catalogTopics].sort().map((name) => topic(name, { 'pulse.dev/pubsub': 'event' }));
  const subscriptions: unknown[] = [];
  const deadLetters: unknown[] = [];
  const iam: unknown[] = [];

  for (const [service, published] of Object.entries(topology.publishers).sort(([a], [b]) => a.localeCompare(b))) {
    for (const name of [...published].sort()) {
      iam.push(member(`pub-${service}.${name}`, 'roles/pubsub.publisher', { kind: 'PubSubTopic', name }, { gsa: service }));
    }
  }
  for (const [service, consumed] of Object.entries(topology.consumers).sort(([a], [b]) => a.localeCompare(b))) {
    for (const topicName of [...consumed].sort()) {
      const name = subscriptionName(topicName, service);
      const deadLetter = deadLetterTopicName(name);
      subscriptions.push({
        apiVersion: PUBSUB,
        kind: 'PubSubSubscription',
        metadata: { name, labels: { 'pulse.dev/consumer': service } },
        spec: {
          resourceID: name,
          topicRef: { name: topicName },
          ackDeadlineSeconds: policy.ackDeadlineSeconds,
          enableMessageOrdering: policy.enableMessageOrdering,
          messageRetentionDuration: policy.messageRetentionDuration,
          // Never expire for inactivity: a consumer scaled to zero must not lose its subscription.
          expirationPolicy: { ttl: '' },
          retryPolicy: { minimumBackoff: `${policy.minimumBackoffSeconds}s`, maximumBackoff: `${policy.maximumBackoffSeconds}s` },
          deadLetterPolicy: { deadLetterTopicRef: { name: deadLetter }, maxDeliveryAttempts: policy.maxDeliveryAttempts },
        },
      });
      deadLetters.push(topic(deadLetter, { 'pulse.dev/pubsub': 'dead-letter' }), {
        apiVersion: PUBSUB,
        kind: 'PubSubSubscription',
        metadata: { name: deadLetterHoldSubscriptionName(name), labels: { 'pulse.dev/pubsub': 'dead-letter' } },
        spec: {
          resourceID: deadLetterHoldSubscriptionName(name),
          topicRef: { name: deadLetter },
          ackDeadlineSeconds: 600,
          messageRetentionDuration: policy.deadLetterRetentionDuration,
          expirationPolicy: { ttl: '' },
        },
      });
      iam.push(
        member(`sub-${service}.${name}`, 'roles/pubsub.subscriber', { kind: 'PubSubSubscription', name }, { gsa: service }),
        // The consumer dead-letters at once what can never succeed (libs/messaging PubSubServer), with the reason.
        member(`dl-pub-${service}.${deadLetter}`, 'roles/pubsub.publisher', { kind: 'PubSubTopic', name: deadLetter }, { gsa: service }),
        member(`dl-agent-sub.${name}`, 'roles/pubsub.subscriber', { kind: 'PubSubSubscription', name }, { member: pubsubAgent }),
        member(`dl-agent-pub.${deadLetter}`, 'roles/pubsub.publisher', { kind: 'PubSubTopic', name: deadLetter }, { member: pubsubAgent }),
      );
    }
  }
  const broadcasts = Object.entries(topology.broadcastConsumers).sort(([a], [b]) => a.localeCompare(b));
  for (const [service, consumed] of broadcasts) {
    for (const topicName of [...consumed].sort()) {
      // Attaching a subscription to the topic; creating, reading and deleting subscriptions is limited by
      // condition to this service's own replicas' names (<topic>.<service>.<pod>, libs/messaging topology).
      iam.push(
        member(`attach-${service}.${topicName}`, 'roles/pubsub.subscriber', { kind: 'PubSubTopic', name: topicName }, { gsa: service }),
        member(
          `broadcast-${service}.${topicName}`,
          `projects/${settings.PROJECT_ID}/roles/${BROADCAST_ROLE_ID}`,
          { kind: 'Project', external: `projects/${settings.PROJECT_ID}` },
          { gsa: service },
          {
            title: `${service} replicas' own ${topicName} subscriptions`,
            expression: `resource.name.startsWith("projects/${settings.PROJECT_ID}/subscriptions/${topicName}.${service}.")`,
          },
        ),
      );
    }
  }
  return [...topics, ...subscriptions, ...deadLetters, ...(broadcasts.length > 0 ? [broadcastRole()] : []), ...iam];
}

/** Workload Identity: each lane's Kubernetes ServiceAccount <ksa> may act as Google service account pulse-<ksa>. */
export function workloadIdentityManifests(settings: GcpSettings): unknown[] {
  const bindings: Array<{ gsa: string; namespace: string; ksa: string; name: string }> = [];
  for (const [lane, { namespace }] of Object.entries(LANES)) {
    for (const ksa of LANE_SERVICE_ACCOUNTS) bindings.push({ gsa: ksa, namespace, ksa, name: `wi-${lane}-${ksa}` });
  }
  bindings.push({ gsa: 'external-secrets', namespace: 'external-secrets', ksa: 'external-secrets', name: 'wi-external-secrets' });
  return bindings.map((b) =>
    member(b.name, 'roles/iam.workloadIdentityUser', { kind: 'IAMServiceAccount', name: `pulse-${b.gsa}` }, {
      member: `serviceAccount:${settings.WORKLOAD_POOL}[${b.namespace}/${b.ksa}]`,
    }),
  );
}

export function renderInfra(topology: PubSubTopology, catalogTopics: readonly string[], settings: GcpSettings): FileSet {
  const header = (what: string) =>
    `# GENERATED by \`npm run deploy:infra\` from ${what}: do not edit.\n`;
  const files: FileSet = new Map();
  files.set(
    'pubsub.yaml',
    toYamlDocuments(pubsubManifests(topology, catalogTopics, settings), header('EVENT_CATALOG (libs/contracts) and deploy/pubsub-consumers.json')),
  );
  files.set('workload-identity.yaml', toYamlDocuments(workloadIdentityManifests(settings), header('settings.env and the lanes of tools/deploy')));
  files.set(
    'kustomization.yaml',
    `${header('tools/deploy')}apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - pubsub.yaml\n  - workload-identity.yaml\n`,
  );
  return files;
}
