import { StoredMessage } from './stored-message';
import { LeaseRequest, QueuePolicy, SubscriptionQueue } from './subscription-queue';

const SUBSCRIPTION = 'projects/pulse-test/subscriptions/orders';
const T0 = 1_800_000_000_000;

let nextId = 1;
function message(data: string, orderingKey = '', attributes: Record<string, string> = {}): StoredMessage {
  return { messageId: String(nextId++), data: Buffer.from(data), attributes, orderingKey, publishTime: T0 };
}

function request(overrides: Partial<LeaseRequest> = {}): LeaseRequest {
  return {
    leaseholder: 'stream-1',
    ackDeadlineMs: 10_000,
    maxOutstandingMessages: 0,
    maxOutstandingBytes: 0,
    maxBatch: 1000,
    ...overrides,
  };
}

function queueWith(policy: Partial<QueuePolicy>, ...payloads: Array<string | StoredMessage>): SubscriptionQueue {
  const queue = new SubscriptionQueue(SUBSCRIPTION, { orderedByKey: false, ...policy });
  for (const payload of payloads) queue.enqueue(typeof payload === 'string' ? message(payload) : payload, T0);
  return queue;
}

const texts = (deliveries: Array<{ message: StoredMessage }>) => deliveries.map((d) => d.message.data.toString());
const deadLetterAfter = (maxDeliveryAttempts: number, canForward = () => true) => ({
  deadLetter: { maxDeliveryAttempts, canForward },
});

describe('SubscriptionQueue', () => {
  describe('leasing and acknowledging', () => {
    it('hands out messages in publish order, once, with ack ids shaped like the SDK emulator', () => {
      const queue = queueWith({}, 'a', 'b', 'c');

      const first = queue.lease(T0, request());

      expect(texts(first)).toEqual(['a', 'b', 'c']);
      expect(first.map((d) => d.ackId)).toEqual([`${SUBSCRIPTION}:1`, `${SUBSCRIPTION}:2`, `${SUBSCRIPTION}:3`]);
      expect(queue.lease(T0, request({ leaseholder: 'stream-2' }))).toEqual([]);
      expect(queue.outstandingOf('stream-1')).toEqual({ messages: 3, bytes: 3 });
    });

    it('forgets acknowledged messages and ignores unknown ack ids', () => {
      const queue = queueWith({}, 'a', 'b');
      const [a, b] = queue.lease(T0, request());

      queue.acknowledge([a.ackId, `${SUBSCRIPTION}:999`]);

      expect(queue.backlogSize).toBe(1);
      expect(queue.outstandingOf('stream-1')).toEqual({ messages: 1, bytes: 1 });
      queue.acknowledge([b.ackId]);
      expect(queue.backlogSize).toBe(0);
      expect(queue.nextTimerAt(T0)).toBeUndefined();
    });

    it('recognises the format of its own ack ids only', () => {
      const queue = queueWith({});
      expect(queue.isOwnAckIdFormat(`${SUBSCRIPTION}:42`)).toBe(true);
      expect(queue.isOwnAckIdFormat('projects/pulse-test/subscriptions/other:42')).toBe(false);
      expect(queue.isOwnAckIdFormat(`${SUBSCRIPTION}:x`)).toBe(false);
      expect(queue.isOwnAckIdFormat('bogus')).toBe(false);
    });
  });

  describe('ack deadlines', () => {
    it('redelivers a message whose deadline passed, under a new ack id', () => {
      const queue = queueWith({}, 'a');
      const [first] = queue.lease(T0, request({ ackDeadlineMs: 1000 }));

      expect(queue.nextTimerAt(T0)).toBe(T0 + 1000);
      expect(queue.expireLeases(T0 + 999)).toEqual([]);
      expect(queue.lease(T0 + 999, request())).toEqual([]);
      queue.expireLeases(T0 + 1000);
      const [second] = queue.lease(T0 + 1000, request());

      expect(second.message.messageId).toBe(first.message.messageId);
      expect(second.ackId).not.toBe(first.ackId);
    });

    it('still accepts a late ack while the message waits for redelivery, but not once it was redelivered', () => {
      const late = queueWith({}, 'a');
      const [lateDelivery] = late.lease(T0, request({ ackDeadlineMs: 1000 }));
      late.expireLeases(T0 + 1000);
      late.acknowledge([lateDelivery.ackId]);
      expect(late.backlogSize).toBe(0);

      const superseded = queueWith({}, 'a');
      const [old] = superseded.lease(T0, request({ ackDeadlineMs: 1000 }));
      superseded.expireLeases(T0 + 1000);
      superseded.lease(T0 + 1000, request());
      superseded.acknowledge([old.ackId]);
      expect(superseded.backlogSize).toBe(1);
    });

    it('moves the deadline when the lease is extended', () => {
      const queue = queueWith({}, 'a');
      const [delivery] = queue.lease(T0, request({ ackDeadlineMs: 1000 }));

      queue.extendLeases([delivery.ackId], 5000, T0 + 900);

      expect(queue.nextTimerAt(T0 + 900)).toBe(T0 + 5900);
      queue.expireLeases(T0 + 5000);
      expect(queue.lease(T0 + 5000, request())).toEqual([]);
      queue.expireLeases(T0 + 5900);
      expect(texts(queue.lease(T0 + 5900, request()))).toEqual(['a']);
    });
  });

  describe('nacks and retry backoff', () => {
    it('makes a nacked message deliverable again at once without a retry policy', () => {
      const queue = queueWith({}, 'a');
      const [delivery] = queue.lease(T0, request());

      queue.nack([delivery.ackId], T0 + 5);

      expect(queue.outstandingOf('stream-1').messages).toBe(0);
      expect(texts(queue.lease(T0 + 5, request()))).toEqual(['a']);
    });

    it('holds a nacked message back by the retry policy, longer after each failure', () => {
      const queue = queueWith({ retryBackoff: { minimumMs: 1000, maximumMs: 1500 } }, 'a');
      let [delivery] = queue.lease(T0, request());

      queue.nack([delivery.ackId], T0);
      expect(queue.lease(T0 + 999, request())).toEqual([]);
      expect(queue.nextTimerAt(T0 + 999)).toBe(T0 + 1000);
      [delivery] = queue.lease(T0 + 1000, request());
      queue.nack([delivery.ackId], T0 + 1000);

      expect(queue.lease(T0 + 2499, request())).toEqual([]);
      expect(texts(queue.lease(T0 + 2500, request()))).toEqual(['a']);
    });

    it('applies the backoff to expired deadlines too', () => {
      const queue = queueWith({ retryBackoff: { minimumMs: 2000, maximumMs: 10_000 } }, 'a');
      queue.lease(T0, request({ ackDeadlineMs: 1000 }));

      queue.expireLeases(T0 + 1000);

      expect(queue.lease(T0 + 2999, request())).toEqual([]);
      expect(texts(queue.lease(T0 + 3000, request()))).toEqual(['a']);
    });

    it('lets the other messages through while one backs off', () => {
      const queue = queueWith({ retryBackoff: { minimumMs: 1000, maximumMs: 1000 } }, 'a', 'b');
      const [a] = queue.lease(T0, request({ maxBatch: 1 }));

      queue.nack([a.ackId], T0);

      expect(texts(queue.lease(T0, request()))).toEqual(['b']);
    });
  });

  describe('delivery attempts and dead-lettering', () => {
    it('reports delivery attempts only when a dead-letter policy is set', () => {
      const plain = queueWith({}, 'a');
      const [plainDelivery] = plain.lease(T0, request());
      plain.nack([plainDelivery.ackId], T0);
      expect(plain.lease(T0, request())[0].deliveryAttempt).toBe(0);

      const withPolicy = queueWith(deadLetterAfter(5), 'a');
      const attempts: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const [delivery] = withPolicy.lease(T0, request());
        attempts.push(delivery.deliveryAttempt);
        withPolicy.nack([delivery.ackId], T0);
      }
      expect(attempts).toEqual([1, 2, 3]);
    });

    it('dead-letters a message after its last allowed delivery fails, and stops delivering it', () => {
      const queue = queueWith(deadLetterAfter(3), message('a', '', { k: 'v' }), 'b');
      const attempts: number[] = [];
      let deadLettered: ReturnType<SubscriptionQueue['nack']> = [];
      for (let i = 0; i < 3; i += 1) {
        const [a] = queue.lease(T0, request({ maxBatch: 1 }));
        attempts.push(a.deliveryAttempt);
        deadLettered = queue.nack([a.ackId], T0);
      }

      expect(attempts).toEqual([1, 2, 3]);
      expect(deadLettered).toEqual([
        { message: expect.objectContaining({ data: Buffer.from('a'), attributes: { k: 'v' } }), deliveryAttempts: 3 },
      ]);
      expect(texts(queue.lease(T0, request()))).toEqual(['b']);
      expect(queue.backlogSize).toBe(1);
    });

    it('counts expired deadlines as failed deliveries too', () => {
      const queue = queueWith(deadLetterAfter(2), 'a');
      queue.lease(T0, request({ ackDeadlineMs: 1000 }));
      expect(queue.expireLeases(T0 + 1000)).toEqual([]);
      queue.lease(T0 + 1000, request({ ackDeadlineMs: 1000 }));

      expect(queue.expireLeases(T0 + 2000)).toEqual([{ message: expect.anything(), deliveryAttempts: 2 }]);
      expect(queue.backlogSize).toBe(0);
    });

    it('keeps redelivering while the dead-letter topic cannot take the message', () => {
      let topicExists = false;
      const queue = queueWith(deadLetterAfter(1, () => topicExists), 'a');
      let [delivery] = queue.lease(T0, request());

      expect(queue.nack([delivery.ackId], T0)).toEqual([]);
      [delivery] = queue.lease(T0, request());
      expect(delivery.deliveryAttempt).toBe(2);
      topicExists = true;
      expect(queue.nack([delivery.ackId], T0)).toHaveLength(1);
    });
  });

  describe('flow control', () => {
    it('keeps a leaseholder within max outstanding messages until it acks', () => {
      const queue = queueWith({}, 'a', 'b', 'c');
      const limited = request({ maxOutstandingMessages: 2 });

      const [a, b] = queue.lease(T0, limited);
      expect(queue.lease(T0, limited)).toEqual([]);
      expect(texts(queue.lease(T0, request({ leaseholder: 'stream-2' })))).toEqual(['c']);
      queue.acknowledge([a.ackId]);
      queue.nack([b.ackId], T0);

      expect(texts(queue.lease(T0, limited))).toEqual(['b']);
    });

    it('keeps a leaseholder within max outstanding bytes, but lets one oversized message through alone', () => {
      const queue = queueWith({}, 'aaaa', 'bbbb', 'cccccccccc');
      const limited = request({ maxOutstandingBytes: 6 });

      const [a] = queue.lease(T0, limited);
      expect(texts([a])).toEqual(['aaaa']);
      queue.acknowledge([a.ackId]);
      const [b] = queue.lease(T0, limited);
      queue.acknowledge([b.ackId]);

      expect(texts(queue.lease(T0, limited))).toEqual(['cccccccccc']);
    });

    it('caps one batch without limiting the next', () => {
      const queue = queueWith({}, 'a', 'b', 'c');
      expect(texts(queue.lease(T0, request({ maxBatch: 2 })))).toEqual(['a', 'b']);
      expect(texts(queue.lease(T0, request({ maxBatch: 2 })))).toEqual(['c']);
    });
  });

  describe('ordering keys', () => {
    const ordered = { orderedByKey: true };

    it('hands out a run of one key in order and nothing more of that key until it is settled', () => {
      const queue = queueWith(ordered, message('a1', 'a'), message('b1', 'b'), message('a2', 'a'));

      const firstStream = queue.lease(T0, request({ maxBatch: 2 }));
      expect(texts(firstStream)).toEqual(['a1', 'b1']);
      queue.enqueue(message('b2', 'b'), T0);

      expect(queue.lease(T0, request({ leaseholder: 'stream-2' }))).toEqual([]);
      queue.acknowledge([firstStream[0].ackId]);
      expect(texts(queue.lease(T0, request({ leaseholder: 'stream-2' })))).toEqual(['a2']);
      queue.acknowledge([firstStream[1].ackId]);
      expect(texts(queue.lease(T0, request({ leaseholder: 'stream-2' })))).toEqual(['b2']);
    });

    it('leaves messages without a key unordered', () => {
      const queue = queueWith(ordered, message('a1', 'a'), 'free-1', message('a2', 'a'), 'free-2');
      queue.lease(T0, request({ maxBatch: 1 }));

      expect(texts(queue.lease(T0, request({ leaseholder: 'stream-2' })))).toEqual(['free-1', 'free-2']);
    });

    it('redelivers the rest of a key after a nacked message, in order, without counting them as failures', () => {
      const queue = queueWith(
        { ...ordered, ...deadLetterAfter(5) },
        message('a1', 'a'),
        message('a2', 'a'),
        message('a3', 'a'),
      );
      const [a1, a2, a3] = queue.lease(T0, request());
      queue.acknowledge([a1.ackId]);

      queue.nack([a2.ackId], T0);

      expect(queue.outstandingOf('stream-1').messages).toBe(0);
      const again = queue.lease(T0, request());
      expect(texts(again)).toEqual(['a2', 'a3']);
      expect(again.map((d) => d.deliveryAttempt)).toEqual([2, 2]);
      queue.acknowledge([a3.ackId]);
      expect(queue.backlogSize).toBe(2);
    });

    it('holds the whole key back while its first message backs off', () => {
      const queue = queueWith(
        { ...ordered, retryBackoff: { minimumMs: 1000, maximumMs: 1000 } },
        message('a1', 'a'),
        message('a2', 'a'),
        message('b1', 'b'),
      );
      const [a1] = queue.lease(T0, request({ maxBatch: 1 }));

      queue.nack([a1.ackId], T0);

      expect(texts(queue.lease(T0 + 500, request()))).toEqual(['b1']);
      expect(texts(queue.lease(T0 + 1000, request()))).toEqual(['a1', 'a2']);
    });

    it('ignores ordering keys when the subscription does not enable ordering', () => {
      const queue = queueWith({}, message('a1', 'a'), message('a2', 'a'));
      queue.lease(T0, request({ maxBatch: 1 }));

      expect(texts(queue.lease(T0, request({ leaseholder: 'stream-2' })))).toEqual(['a2']);
    });
  });
});
