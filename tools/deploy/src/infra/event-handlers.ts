import type { PubSubTopology } from './pubsub-topology';

/** The event handlers declared in a service's source: `@EventPattern(<contract>.topic[, { broadcast: true }])`. */
export interface DeclaredHandler {
  /** The contract's exported name in @pulse/contracts, e.g. ingestionRequestedV1. */
  contract: string;
  broadcast: boolean;
}

const HANDLER = /@EventPattern\(\s*([A-Za-z_$][\w$]*)\.topic\s*(?:,\s*\{\s*broadcast:\s*(true|false)\s*,?\s*\})?\s*\)/g;

export function declaredHandlers(source: string): DeclaredHandler[] {
  return [...source.matchAll(HANDLER)].map((m) => ({ contract: m[1] as string, broadcast: m[2] === 'true' }));
}

/**
 * deploy/pubsub-consumers.json against the handlers the services declare: a handler without its
 * subscription never receives an event (or the service fails at start, PUBSUB_AUTO_CREATE=false); a
 * subscription without a handler piles up messages nobody acknowledges.
 */
export function checkConsumersAgainstHandlers(
  topology: PubSubTopology,
  handlers: Record<string, DeclaredHandler[]>,
  topicOf: (contract: string) => string | undefined,
): string[] {
  const problems: string[] = [];
  for (const [service, declared] of Object.entries(handlers)) {
    for (const kind of ['consumers', 'broadcastConsumers'] as const) {
      const handled = new Set<string>();
      for (const handler of declared.filter((h) => h.broadcast === (kind === 'broadcastConsumers'))) {
        const topic = topicOf(handler.contract);
        if (topic === undefined) problems.push(`${service} handles ${handler.contract}.topic, which is no event contract of @pulse/contracts`);
        else handled.add(topic);
      }
      const listed = new Set(topology[kind][service] ?? []);
      for (const topic of [...handled].sort()) if (!listed.has(topic)) problems.push(`${service} handles ${topic}, but ${kind}.${service} does not list it`);
      for (const topic of [...listed].sort()) if (!handled.has(topic)) problems.push(`${kind}.${service} lists ${topic}, but ${service} has no handler for it`);
    }
  }
  return problems;
}
