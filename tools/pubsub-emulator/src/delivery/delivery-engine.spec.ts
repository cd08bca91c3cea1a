import { status } from '@grpc/grpc-js';
import { PubSubApiError } from '../api/api-error';
import { PubSubBroker } from '../broker/pubsub-broker';
import { Delivery } from '../queue/subscription-queue';
import { ConsumerCapacity, DeliveryConsumer } from './delivery-consumer';
import { DeliveryEngine } from './delivery-engine';

const TOPIC = 'projects/pulse-test/topics/orders';
const SUBSCRIPTION = 'projects/pulse-test/subscriptions/orders-worker';

/** Stands in for a StreamingPull stream: records what it is handed, within a message limit. */
class FakeStream implements DeliveryConsumer {
  readonly received: Delivery[] = [];
  ended?: PubSubApiError;

  constructor(
    readonly leaseholder: string,
    private readonly limits: ConsumerCapacity = { ackDeadlineMs: 1000, maxOutstandingMessages: 0, maxOutstandingBytes: 0 },
  ) {}

  capacity() {
    return this.ended ? undefined : this.limits;
  }
  deliver(deliveries: Delivery[]) {
    this.received.push(...deliveries);
  }
  terminate(error: PubSubApiError) {
    this.ended = error;
  }
  texts() {
    return this.received.map((d) => d.message.data.toString());
  }
}

function setup(subscriptionOverrides: object = {}) {
  const broker: PubSubBroker = new PubSubBroker({
    clock: () => Date.now(),
    log: () => undefined,
    onMessagesEnqueued: (subscription) => engine.deliverPending(subscription),
    onSubscriptionDeleted: (subscription) => engine.subscriptionDeleted(subscription),
  });
  const engine: DeliveryEngine = new DeliveryEngine(broker, () => Date.now());
  broker.createTopic({ name: TOPIC });
  broker.createSubscription({ name: SUBSCRIPTION, topic: TOPIC, ...subscriptionOverrides });
  const publish = (...texts: string[]) =>
    broker.publish(TOPIC, texts.map((text) => ({ data: Buffer.from(text), attributes: {}, orderingKey: '' })));
  return { broker, engine, publish };
}

describe('DeliveryEngine', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_800_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('pushes published messages to an attached stream at once', () => {
    const { engine, publish } = setup();
    const stream = new FakeStream('stream-1');
    engine.attach(SUBSCRIPTION, stream);

    publish('a', 'b');

    expect(stream.texts()).toEqual(['a', 'b']);
  });

  it('hands the backlog to a stream when it attaches', () => {
    const { engine, publish } = setup();
    publish('waiting');
    const stream = new FakeStream('stream-1');

    engine.attach(SUBSCRIPTION, stream);

    expect(stream.texts()).toEqual(['waiting']);
  });

  it('spreads messages over streams whose flow control is full and refills them as they ack', () => {
    const { engine, publish } = setup();
    const limits = { ackDeadlineMs: 10_000, maxOutstandingMessages: 1, maxOutstandingBytes: 0 };
    const first = new FakeStream('stream-1', limits);
    const second = new FakeStream('stream-2', limits);
    engine.attach(SUBSCRIPTION, first);
    engine.attach(SUBSCRIPTION, second);

    publish('a', 'b', 'c');
    expect([...first.texts(), ...second.texts()].sort()).toEqual(['a', 'b']);

    engine.acknowledge(SUBSCRIPTION, [first.received[0].ackId]);
    expect([...first.texts(), ...second.texts()].sort()).toEqual(['a', 'b', 'c']);
  });

  it('redelivers when the stream ack deadline passes, driven by its own timer', () => {
    const { engine, publish } = setup();
    const stream = new FakeStream('stream-1');
    engine.attach(SUBSCRIPTION, stream);
    publish('a');

    jest.advanceTimersByTime(999);
    expect(stream.texts()).toEqual(['a']);
    jest.advanceTimersByTime(1);

    expect(stream.texts()).toEqual(['a', 'a']);
  });

  it('redelivers a nack after the retry backoff', () => {
    const { engine, publish } = setup({ retryPolicy: { minimumBackoff: { seconds: 2 }, maximumBackoff: { seconds: 10 } } });
    const stream = new FakeStream('stream-1', { ackDeadlineMs: 60_000, maxOutstandingMessages: 0, maxOutstandingBytes: 0 });
    engine.attach(SUBSCRIPTION, stream);
    publish('a');

    engine.modifyAckDeadline(SUBSCRIPTION, [stream.received[0].ackId], 0);
    jest.advanceTimersByTime(1999);
    expect(stream.received).toHaveLength(1);
    jest.advanceTimersByTime(1);

    expect(stream.texts()).toEqual(['a', 'a']);
  });

  it('answers a waiting Pull with the first messages, or empty when the wait is over', async () => {
    const { engine, publish } = setup();

    const empty = engine.pull(SUBSCRIPTION, 10, 5000);
    jest.advanceTimersByTime(5000);
    await expect(empty.result).resolves.toEqual([]);

    const waiting = engine.pull(SUBSCRIPTION, 10, 5000);
    publish('late');
    const [delivery] = await waiting.result;
    expect(delivery.message.data.toString()).toBe('late');
  });

  it('refuses malformed ack ids on unary calls but not on streams', () => {
    const { engine } = setup();
    expect(() => engine.acknowledge(SUBSCRIPTION, ['bogus'])).toThrow(expect.objectContaining({ code: status.INVALID_ARGUMENT }));
    expect(() => engine.acknowledge(SUBSCRIPTION, ['bogus'], { lenient: true })).not.toThrow();
    expect(() => engine.modifyAckDeadline(SUBSCRIPTION, [`${SUBSCRIPTION}:1`], 601)).toThrow(
      expect.objectContaining({ code: status.INVALID_ARGUMENT }),
    );
  });

  it('ends the streams of a deleted subscription with NOT_FOUND, and all of them with UNAVAILABLE on shutdown', () => {
    const { broker, engine } = setup();
    broker.createSubscription({ name: `${SUBSCRIPTION}-2`, topic: TOPIC });
    const onDeleted = new FakeStream('stream-1');
    const onShutdown = new FakeStream('stream-2');
    engine.attach(SUBSCRIPTION, onDeleted);
    engine.attach(`${SUBSCRIPTION}-2`, onShutdown);

    broker.deleteSubscription(SUBSCRIPTION);
    engine.shutdown();

    expect(onDeleted.ended?.code).toBe(status.NOT_FOUND);
    expect(onShutdown.ended?.code).toBe(status.UNAVAILABLE);
    expect(jest.getTimerCount()).toBe(0);
  });
});
