import { status } from '@grpc/grpc-js';
import { PubSubBroker } from './pubsub-broker';

const P = 'projects/pulse-test';
const TOPIC = `${P}/topics/orders`;
const DEAD = `${P}/topics/orders-dead`;
const T0 = 1_800_000_000_000;
const withCode = (code: status) => expect.objectContaining({ code });
const lease = { leaseholder: 'test', ackDeadlineMs: 10_000, maxOutstandingMessages: 0, maxOutstandingBytes: 0, maxBatch: 100 };
const input = (data: string, attributes: Record<string, string> = {}) => ({ data: Buffer.from(data), attributes, orderingKey: '' });

function setup() {
  const enqueued: string[] = [];
  const deleted: string[] = [];
  const broker = new PubSubBroker({
    clock: () => T0,
    log: () => undefined,
    onMessagesEnqueued: (subscription) => enqueued.push(subscription),
    onSubscriptionDeleted: (subscription) => deleted.push(subscription),
  });
  return { broker, enqueued, deleted };
}

function backlogOf(broker: PubSubBroker, subscription: string) {
  return broker.findSubscriptionOrThrow(subscription).queue.lease(T0, lease);
}

describe('PubSubBroker', () => {
  it('answers duplicate and missing resources with ALREADY_EXISTS and NOT_FOUND', () => {
    const { broker } = setup();
    broker.createTopic({ name: TOPIC });

    expect(() => broker.createTopic({ name: TOPIC })).toThrow(withCode(status.ALREADY_EXISTS));
    expect(() => broker.findTopicOrThrow(`${P}/topics/missing`)).toThrow(withCode(status.NOT_FOUND));
    expect(() => broker.publish(`${P}/topics/missing`, [input('x')])).toThrow(withCode(status.NOT_FOUND));
    expect(() => broker.createSubscription({ name: `${P}/subscriptions/s-1`, topic: `${P}/topics/missing` })).toThrow(
      withCode(status.NOT_FOUND),
    );
    broker.createSubscription({ name: `${P}/subscriptions/s-1`, topic: TOPIC });
    expect(() => broker.createSubscription({ name: `${P}/subscriptions/s-1`, topic: TOPIC })).toThrow(
      withCode(status.ALREADY_EXISTS),
    );
    expect(() => broker.findSubscriptionOrThrow(`${P}/subscriptions/missing`)).toThrow(withCode(status.NOT_FOUND));
  });

  it('fans each message out to every subscription that existed when it was published', () => {
    const { broker, enqueued } = setup();
    broker.createTopic({ name: TOPIC });
    broker.createSubscription({ name: `${P}/subscriptions/early`, topic: TOPIC });
    broker.publish(TOPIC, [input('before')]);
    broker.createSubscription({ name: `${P}/subscriptions/late`, topic: TOPIC });

    const ids = broker.publish(TOPIC, [input('after', { tenant: 't-1' })]);

    expect(ids).toHaveLength(1);
    expect(backlogOf(broker, `${P}/subscriptions/early`).map((d) => d.message.data.toString())).toEqual(['before', 'after']);
    const [late] = backlogOf(broker, `${P}/subscriptions/late`);
    expect(late.message).toMatchObject({ messageId: ids[0], attributes: { tenant: 't-1' }, publishTime: T0 });
    expect(enqueued).toEqual([`${P}/subscriptions/early`, `${P}/subscriptions/early`, `${P}/subscriptions/late`]);
  });

  it('refuses empty publishes', () => {
    const { broker } = setup();
    broker.createTopic({ name: TOPIC });
    expect(() => broker.publish(TOPIC, [])).toThrow(withCode(status.INVALID_ARGUMENT));
    expect(() => broker.publish(TOPIC, [input('')])).toThrow(withCode(status.INVALID_ARGUMENT));
    expect(broker.publish(TOPIC, [input('', { only: 'attributes' })])).toHaveLength(1);
  });

  it('lists per project, in name order, and the subscriptions of a topic', () => {
    const { broker } = setup();
    broker.createTopic({ name: `${P}/topics/zeta` });
    broker.createTopic({ name: TOPIC });
    broker.createTopic({ name: 'projects/other/topics/orders' });
    broker.createSubscription({ name: `${P}/subscriptions/s-2`, topic: TOPIC });
    broker.createSubscription({ name: `${P}/subscriptions/s-1`, topic: TOPIC });

    expect(broker.listTopics('pulse-test').map((t) => t.name)).toEqual([TOPIC, `${P}/topics/zeta`]);
    expect(broker.listTopicSubscriptions(TOPIC)).toEqual([`${P}/subscriptions/s-1`, `${P}/subscriptions/s-2`]);
    expect(broker.listSubscriptions('other')).toEqual([]);
  });

  it('keeps subscriptions of a deleted topic, pointing at _deleted-topic_', () => {
    const { broker } = setup();
    broker.createTopic({ name: TOPIC });
    broker.createSubscription({ name: `${P}/subscriptions/s-1`, topic: TOPIC });

    broker.deleteTopic(TOPIC);

    expect(broker.findSubscriptionOrThrow(`${P}/subscriptions/s-1`).settings.topic).toBe('_deleted-topic_');
    expect(() => broker.deleteTopic(TOPIC)).toThrow(withCode(status.NOT_FOUND));
  });

  it('tells the delivery side when a subscription is deleted', () => {
    const { broker, deleted } = setup();
    broker.createTopic({ name: TOPIC });
    broker.createSubscription({ name: `${P}/subscriptions/s-1`, topic: TOPIC });

    broker.deleteSubscription(`${P}/subscriptions/s-1`);

    expect(deleted).toEqual([`${P}/subscriptions/s-1`]);
    expect(broker.listTopicSubscriptions(TOPIC)).toEqual([]);
  });

  describe('dead-lettering', () => {
    function withDeadLetterSubscription() {
      const context = setup();
      context.broker.createTopic({ name: TOPIC });
      context.broker.createTopic({ name: DEAD });
      context.broker.createSubscription({ name: `${P}/subscriptions/dead-watch`, topic: DEAD });
      context.broker.createSubscription({
        name: `${P}/subscriptions/worker`,
        topic: TOPIC,
        deadLetterPolicy: { deadLetterTopic: DEAD, maxDeliveryAttempts: 5 },
      });
      return context;
    }

    it('needs the dead-letter topic to exist', () => {
      const { broker } = setup();
      broker.createTopic({ name: TOPIC });
      expect(() =>
        broker.createSubscription({
          name: `${P}/subscriptions/worker`,
          topic: TOPIC,
          deadLetterPolicy: { deadLetterTopic: DEAD, maxDeliveryAttempts: 5 },
        }),
      ).toThrow(withCode(status.NOT_FOUND));
    });

    it('publishes exhausted messages to the dead-letter topic with the source attributes the service adds', () => {
      const { broker } = withDeadLetterSubscription();
      broker.publish(TOPIC, [input('poison', { tenant: 't-1' })]);
      const worker = broker.findSubscriptionOrThrow(`${P}/subscriptions/worker`).queue;
      let deadLettered: ReturnType<typeof worker.nack> = [];
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const [delivery] = worker.lease(T0, lease);
        deadLettered = worker.nack([delivery.ackId], T0);
      }

      broker.forwardToDeadLetterTopic(`${P}/subscriptions/worker`, deadLettered);

      const [dead] = backlogOf(broker, `${P}/subscriptions/dead-watch`);
      expect(dead.message.data.toString()).toBe('poison');
      expect(dead.message.attributes).toEqual({
        tenant: 't-1',
        CloudPubSubDeadLetterSourceDeliveryCount: '5',
        CloudPubSubDeadLetterSourceSubscription: 'worker',
        CloudPubSubDeadLetterSourceSubscriptionProject: 'pulse-test',
        CloudPubSubDeadLetterSourceTopicPublishTime: new Date(T0).toISOString(),
      });
      expect(worker.backlogSize).toBe(0);
    });

    it('keeps redelivering instead of losing the message once the dead-letter topic is gone', () => {
      const { broker } = withDeadLetterSubscription();
      broker.publish(TOPIC, [input('poison')]);
      broker.deleteTopic(DEAD);
      const worker = broker.findSubscriptionOrThrow(`${P}/subscriptions/worker`).queue;
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const [delivery] = worker.lease(T0, lease);
        expect(worker.nack([delivery.ackId], T0)).toEqual([]);
      }
      expect(worker.lease(T0, lease)[0].deliveryAttempt).toBe(6);
    });
  });

  it('never hands out an ack id again: a late ack meant for a deleted subscription does not take a message of the one made under its name', () => {
    const { broker } = setup();
    const subscription = `${P}/subscriptions/s-1`;
    broker.createTopic({ name: TOPIC });
    broker.createSubscription({ name: subscription, topic: TOPIC });
    broker.publish(TOPIC, [input('old')]);
    const [old] = backlogOf(broker, subscription);
    broker.deleteSubscription(subscription);
    broker.createSubscription({ name: subscription, topic: TOPIC });
    broker.publish(TOPIC, [input('new')]);
    const [fresh] = backlogOf(broker, subscription);

    expect(fresh?.ackId).not.toBe(old?.ackId);
    broker.findSubscriptionOrThrow(subscription).queue.acknowledge([old?.ackId as string]);
    expect(broker.findSubscriptionOrThrow(subscription).queue.backlogSize).toBe(1);
  });

  it('applies subscription updates to delivery', () => {
    const { broker } = setup();
    broker.createTopic({ name: TOPIC });
    broker.createSubscription({ name: `${P}/subscriptions/s-1`, topic: TOPIC });
    broker.updateSubscription(
      { name: `${P}/subscriptions/s-1`, topic: TOPIC, retryPolicy: { minimumBackoff: { seconds: 5 } } },
      ['retry_policy'],
    );
    broker.publish(TOPIC, [input('x')]);
    const queue = broker.findSubscriptionOrThrow(`${P}/subscriptions/s-1`).queue;
    const [delivery] = queue.lease(T0, lease);

    queue.nack([delivery.ackId], T0);

    expect(queue.nextTimerAt(T0)).toBe(T0 + 5000);
  });
});
