import { checkConsumersAgainstHandlers, declaredHandlers } from './event-handlers';
import type { PubSubTopology } from './pubsub-topology';

const topology = (consumers: Record<string, string[]>, broadcastConsumers: Record<string, string[]> = {}): PubSubTopology => ({
  subscriptionPolicy: {
    ackDeadlineSeconds: 60,
    maxDeliveryAttempts: 5,
    minimumBackoffSeconds: 10,
    maximumBackoffSeconds: 600,
    enableMessageOrdering: true,
    messageRetentionDuration: '604800s',
    deadLetterRetentionDuration: '2678400s',
  },
  publishers: {},
  consumers,
  broadcastConsumers,
});
const topics: Record<string, string> = { ingestionRequestedV1: 'ingestion.requested.v1', tenantUpdatedV1: 'tenant.updated.v1' };

describe('event handlers against deploy/pubsub-consumers.json', () => {
  it('finds handlers, broadcast or not, in source text', () => {
    const source = `
      @EventPattern(ingestionRequestedV1.topic)
      async handle() {}
      @EventPattern(tenantUpdatedV1.topic, { broadcast: true })
      async invalidate() {}
      // @EventPattern('literal') is not a contract and is not matched
    `;
    expect(declaredHandlers(source)).toEqual([
      { contract: 'ingestionRequestedV1', broadcast: false },
      { contract: 'tenantUpdatedV1', broadcast: true },
    ]);
  });

  it('names handlers without subscriptions and subscriptions without handlers', () => {
    const handlers = { ingestion: [{ contract: 'ingestionRequestedV1', broadcast: false }], api: [{ contract: 'tenantUpdatedV1', broadcast: true }, { contract: 'nopeV1', broadcast: false }] };
    expect(checkConsumersAgainstHandlers(topology({ ingestion: ['ingestion.requested.v1'] }, { api: ['tenant.updated.v1'] }), handlers, (c) => topics[c])).toEqual([
      'api handles nopeV1.topic, which is no event contract of @pulse/contracts',
    ]);
    expect(checkConsumersAgainstHandlers(topology({ ingestion: ['tenant.updated.v1'] }, {}), handlers, (c) => topics[c])).toEqual([
      'ingestion handles ingestion.requested.v1, but consumers.ingestion does not list it',
      'consumers.ingestion lists tenant.updated.v1, but ingestion has no handler for it',
      'api handles nopeV1.topic, which is no event contract of @pulse/contracts',
      'api handles tenant.updated.v1, but broadcastConsumers.api does not list it',
    ]);
  });
});
