import { decodeMessage } from './decode-message';

const attributes = {
  eventId: '6f1c2a58-2f7e-4c56-9a53-0d6f3c8e6a11',
  tenantId: 'acme',
  correlationId: 'req-7',
  occurredAt: '2026-11-26T10:00:00.000Z',
  schemaVersion: '1',
};
const payload = { runId: 'run-1', reason: 'manual' };
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('decodeMessage', () => {
  it('yields the envelope of a valid message', () => {
    expect(decodeMessage('metrics.refresh-requested.v1', attributes, body(payload))).toEqual({
      ok: true,
      envelope: { topic: 'metrics.refresh-requested.v1', ...attributes, payload },
    });
  });

  it.each([
    ['an unknown topic', 'billing.paid.v1', attributes, body(payload), 'no contract for topic billing.paid.v1'],
    ['a missing eventId', 'metrics.refresh-requested.v1', { ...attributes, eventId: undefined }, body(payload), 'invalid attributes (eventId:'],
    ['a version mismatch', 'metrics.refresh-requested.v1', { ...attributes, schemaVersion: '2' }, body(payload), 'schemaVersion 2 on a v1 topic'],
    ['a body that is not JSON', 'metrics.refresh-requested.v1', attributes, Buffer.from('{nope'), 'body is not JSON'],
    ['a payload breaking the contract', 'metrics.refresh-requested.v1', attributes, body({ runId: 7, reason: 'manual' }), 'invalid payload (runId:'],
  ])('refuses %s, saying why', (_case, topic, attrs, data, reason) => {
    const result = decodeMessage(topic, attrs as Record<string, string>, data);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
  });
});
