import { status } from '@grpc/grpc-js';
import { WireSubscription } from '../api/pubsub-wire.types';
import { applySubscriptionUpdateOrThrow, readSubscriptionOrThrow, toWireSubscription } from './subscription-settings';

const request = (overrides: Partial<WireSubscription> = {}): WireSubscription => ({
  name: 'projects/pulse-test/subscriptions/orders-worker',
  topic: 'projects/pulse-test/topics/orders',
  ...overrides,
});
const withCode = (code: status) => expect.objectContaining({ code });

describe('readSubscriptionOrThrow', () => {
  it('applies the service defaults', () => {
    const settings = readSubscriptionOrThrow(request());

    expect(settings).toMatchObject({ ackDeadlineSeconds: 10, enableMessageOrdering: false, labels: {} });
    expect(settings.deadLetterPolicy).toBeUndefined();
    expect(settings.retryPolicy).toBeUndefined();
    expect(toWireSubscription(settings)).toMatchObject({
      ackDeadlineSeconds: 10,
      deadLetterPolicy: null,
      retryPolicy: null,
      messageRetentionDuration: { seconds: 604_800, nanos: 0 },
      state: 'ACTIVE',
    });
  });

  it('accepts ack deadlines from 1 s (below the real 10 s minimum, for fast tests) to 600 s', () => {
    expect(readSubscriptionOrThrow(request({ ackDeadlineSeconds: 1 })).ackDeadlineSeconds).toBe(1);
    expect(readSubscriptionOrThrow(request({ ackDeadlineSeconds: 600 })).ackDeadlineSeconds).toBe(600);
    expect(() => readSubscriptionOrThrow(request({ ackDeadlineSeconds: 601 }))).toThrow(withCode(status.INVALID_ARGUMENT));
    expect(() => readSubscriptionOrThrow(request({ ackDeadlineSeconds: -1 }))).toThrow(withCode(status.INVALID_ARGUMENT));
  });

  it('reads the dead-letter policy, defaulting to 5 attempts and refusing values outside 5-100 like the service', () => {
    const deadLetterTopic = 'projects/pulse-test/topics/orders-dead';
    expect(readSubscriptionOrThrow(request({ deadLetterPolicy: { deadLetterTopic } })).deadLetterPolicy).toEqual({
      deadLetterTopic,
      maxDeliveryAttempts: 5,
    });
    expect(() =>
      readSubscriptionOrThrow(request({ deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: 2 } })),
    ).toThrow(withCode(status.OUT_OF_RANGE));
    expect(() =>
      readSubscriptionOrThrow(request({ deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: 101 } })),
    ).toThrow(withCode(status.OUT_OF_RANGE));
    expect(() =>
      readSubscriptionOrThrow(request({ deadLetterPolicy: { deadLetterTopic: 'orders-dead', maxDeliveryAttempts: 5 } })),
    ).toThrow(withCode(status.INVALID_ARGUMENT));
  });

  it('reads the retry policy with the service defaults for missing bounds', () => {
    expect(readSubscriptionOrThrow(request({ retryPolicy: { minimumBackoff: { seconds: 1 } } })).retryPolicy).toEqual({
      minimumBackoffMs: 1000,
      maximumBackoffMs: 600_000,
    });
    expect(readSubscriptionOrThrow(request({ retryPolicy: {} })).retryPolicy).toEqual({
      minimumBackoffMs: 10_000,
      maximumBackoffMs: 600_000,
    });
    expect(() =>
      readSubscriptionOrThrow(request({ retryPolicy: { minimumBackoff: { seconds: 5 }, maximumBackoff: { seconds: 1 } } })),
    ).toThrow(withCode(status.INVALID_ARGUMENT));
  });

  it.each<[string, Partial<WireSubscription>]>([
    ['push delivery', { pushConfig: { pushEndpoint: 'https://example.test/push' } }],
    ['filters', { filter: 'attributes.tenant = "a"' }],
    ['exactly-once delivery', { enableExactlyOnceDelivery: true }],
    ['BigQuery export', { bigqueryConfig: { table: 'p.d.t' } }],
  ])('refuses %s with UNIMPLEMENTED instead of silently ignoring it', (_feature, overrides) => {
    expect(() => readSubscriptionOrThrow(request(overrides))).toThrow(withCode(status.UNIMPLEMENTED));
  });

  it('validates both names', () => {
    expect(() => readSubscriptionOrThrow(request({ name: 'orders-worker' }))).toThrow(withCode(status.INVALID_ARGUMENT));
    expect(() => readSubscriptionOrThrow(request({ topic: 'projects/p/topics/x' }))).toThrow(withCode(status.INVALID_ARGUMENT));
  });
});

describe('applySubscriptionUpdateOrThrow', () => {
  const current = readSubscriptionOrThrow(request({ labels: { team: 'a' } }));

  it('changes only the masked fields, whether the mask is snake_case or camelCase', () => {
    const updated = applySubscriptionUpdateOrThrow(
      current,
      request({ ackDeadlineSeconds: 30, labels: { team: 'b' }, retryPolicy: { minimumBackoff: { seconds: 2 } } }),
      ['ackDeadlineSeconds', 'retry_policy'],
    );

    expect(updated.ackDeadlineSeconds).toBe(30);
    expect(updated.retryPolicy).toEqual({ minimumBackoffMs: 2000, maximumBackoffMs: 600_000 });
    expect(updated.labels).toEqual({ team: 'a' });
  });

  it('clears a policy when the masked field is unset', () => {
    const withRetry = { ...current, retryPolicy: { minimumBackoffMs: 1, maximumBackoffMs: 2 } };
    expect(applySubscriptionUpdateOrThrow(withRetry, request({ retryPolicy: null }), ['retry_policy']).retryPolicy).toBeUndefined();
  });

  it('refuses an empty mask, immutable ordering and unsupported fields', () => {
    expect(() => applySubscriptionUpdateOrThrow(current, request(), [])).toThrow(withCode(status.INVALID_ARGUMENT));
    expect(() => applySubscriptionUpdateOrThrow(current, request(), ['enable_message_ordering'])).toThrow(
      withCode(status.INVALID_ARGUMENT),
    );
    expect(() => applySubscriptionUpdateOrThrow(current, request(), ['filter'])).toThrow(withCode(status.UNIMPLEMENTED));
  });
});
