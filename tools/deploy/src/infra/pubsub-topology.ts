import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** deploy/pubsub-consumers.json: who publishes and who consumes each topic, and the subscriptions' policy. */
export const pubsubTopologySchema = z.object({
  $comment: z.string().optional(),
  subscriptionPolicy: z.object({
    ackDeadlineSeconds: z.number().int().min(10).max(600),
    maxDeliveryAttempts: z.number().int().min(5).max(100),
    minimumBackoffSeconds: z.number().int().min(0).max(600),
    maximumBackoffSeconds: z.number().int().min(0).max(600),
    enableMessageOrdering: z.boolean(),
    messageRetentionDuration: z.string().regex(/^\d+s$/),
    deadLetterRetentionDuration: z.string().regex(/^\d+s$/),
  }),
  publishers: z.record(z.string(), z.array(z.string())),
  consumers: z.record(z.string(), z.array(z.string())),
  /**
   * Topics a service consumes on every replica (cache invalidation): each replica creates its own
   * subscription at start (`@EventPattern(topic, { broadcast: true })`), so infrastructure declares none,
   * only the right to create them.
   */
  broadcastConsumers: z.record(z.string(), z.array(z.string())).default({}),
});

export type PubSubTopology = z.output<typeof pubsubTopologySchema>;

export function readPubSubTopology(file: string): PubSubTopology {
  return pubsubTopologySchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Problems of the topology against the event catalog: unknown topics, topics nobody publishes. */
export function checkTopologyAgainstCatalog(topology: PubSubTopology, catalogTopics: readonly string[]): string[] {
  const known = new Set(catalogTopics);
  const problems: string[] = [];
  for (const [role, map] of [['publishes', topology.publishers], ['consumes', topology.consumers], ['consumes on every replica', topology.broadcastConsumers]] as const) {
    for (const [service, topics] of Object.entries(map)) {
      for (const topic of topics) if (!known.has(topic)) problems.push(`${service} ${role} ${topic}, which is not in EVENT_CATALOG`);
    }
  }
  const published = new Set(Object.values(topology.publishers).flat());
  for (const topic of catalogTopics) if (!published.has(topic)) problems.push(`no service publishes ${topic}`);
  return problems;
}
