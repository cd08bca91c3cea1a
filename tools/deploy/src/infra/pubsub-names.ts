// The naming of libs/messaging/src/topology.ts, which the services use to find their subscriptions.
// Tools may not import libs/messaging's Nest transport just for three functions, so they are restated here
// and infra-manifests.spec.ts ("uses the names libs/messaging looks for") compares both.
export function subscriptionName(topic: string, consumer: string): string {
  return `${topic}.${consumer}`;
}

export function deadLetterTopicName(subscription: string): string {
  return `${subscription}.dead-letter`;
}

export function deadLetterHoldSubscriptionName(subscription: string): string {
  return `${deadLetterTopicName(subscription)}.hold`;
}
