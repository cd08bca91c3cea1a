import { ingestionCompletedV1 } from '@pulse/contracts';
import { ValidationError } from '@pulse/errors';
import { buildEventMessage } from './event-message';

const payload = {
  importId: 'imp-1',
  entity: 'orders' as const,
  status: 'succeeded' as const,
  rowsReceived: 10,
  rowsLoaded: 10,
  rowsRejected: 0,
  startedAt: '2026-11-26T10:00:00.000Z',
  finishedAt: '2026-11-26T10:00:05.000Z',
};

describe('buildEventMessage', () => {
  it('puts metadata in string attributes, the payload in the body, the tenant in the ordering key', () => {
    const message = buildEventMessage(ingestionCompletedV1, payload, {
      tenantId: 'acme',
      correlationId: 'req-1',
      occurredAt: new Date('2026-11-26T10:00:06Z'),
    });

    expect(message.topic).toBe('ingestion.completed.v1');
    expect(message.orderingKey).toBe('acme');
    expect(message.attributes).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tenantId: 'acme',
      correlationId: 'req-1',
      occurredAt: '2026-11-26T10:00:06.000Z',
      schemaVersion: '1',
    });
    expect(JSON.parse(message.data.toString())).toEqual(payload);
  });

  it('keeps a given eventId (republishing from the outbox)', () => {
    const eventId = '0b3f9a0e-8d2c-4c1e-9f7a-2b7e8c0d1a22';
    expect(buildEventMessage(ingestionCompletedV1, payload, { tenantId: 't', correlationId: 'c', eventId }).attributes.eventId).toBe(eventId);
  });

  it('refuses a payload that breaks the contract', () => {
    const bad = { ...payload, rowsLoaded: -1 } as typeof payload;
    expect(() => buildEventMessage(ingestionCompletedV1, bad, { tenantId: 't', correlationId: 'c' })).toThrow(ValidationError);
  });
});
