import { randomUUID } from 'node:crypto';
import { EVENT_CATALOG, findEventContract } from './event-catalog';
import { eventAttributesSchema, defineEvent } from './event-contract';
import { ingestionRequestedV1 } from './ingestion.events';
import { eventJsonSchema } from './json-schema';
import { z } from 'zod';

describe('event catalog', () => {
  it('holds the eight first events, each on a versioned topic', () => {
    expect(EVENT_CATALOG.map((c) => c.topic)).toEqual([
      'tenant.provisioned.v1',
      'tenant.updated.v1',
      'tenant.offboarded.v1',
      'ingestion.requested.v1',
      'ingestion.completed.v1',
      'ingestion.failed.v1',
      'metrics.refresh-requested.v1',
      'metrics.computed.v1',
    ]);
    expect(EVENT_CATALOG.every((c) => c.schemaVersion === 1)).toBe(true);
    expect(findEventContract('ingestion.completed.v1')?.topic).toBe('ingestion.completed.v1');
    expect(findEventContract('ingestion.completed.v9')).toBeUndefined();
  });

  it('refuses a topic without a version', () => {
    expect(() => defineEvent({ topic: 'ingestion.completed', description: '', payload: z.object({}) })).toThrow(
      'does not follow <domain>.<event>.v<N>',
    );
    expect(defineEvent({ topic: 'billing.invoice-paid.v2', description: '', payload: z.object({}) }).schemaVersion).toBe(2);
  });

  it('validates a payload and names what is wrong', () => {
    const valid = {
      importId: 'imp_1',
      entity: 'orders',
      origin: { kind: 'upload', objectUri: 'file:///tmp/x.csv', format: 'csv' },
      mode: 'upsert',
    };
    expect(ingestionRequestedV1.payload.parse(valid)).toEqual(valid);

    const invalid = ingestionRequestedV1.payload.safeParse({ ...valid, entity: 'invoices', origin: { kind: 'upload' } });
    expect(invalid.success).toBe(false);
    expect(invalid.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['entity', 'origin.format', 'origin.objectUri']);
  });

  it('ignores fields added by a newer publisher of the same version (additive changes are compatible)', () => {
    const payload = { runId: 'r1', reason: 'manual', addedLater: true };
    expect(findEventContract('metrics.refresh-requested.v1')?.payload.parse(payload)).toEqual({ runId: 'r1', reason: 'manual' });
  });

  it('validates the attributes every message carries', () => {
    const attributes = {
      eventId: randomUUID(),
      tenantId: 'acme',
      correlationId: 'req-1',
      occurredAt: '2026-11-26T10:00:00.000Z',
      schemaVersion: '1',
    };
    expect(eventAttributesSchema.parse(attributes)).toEqual(attributes);
    expect(eventAttributesSchema.safeParse({ ...attributes, eventId: 'not-a-uuid' }).success).toBe(false);
    expect(eventAttributesSchema.safeParse({ ...attributes, occurredAt: '2026-11-26T10:00:00+02:00' }).success).toBe(false);
  });
});

// A change to any of these snapshots is a change to a published contract. Additive changes (a new
// optional field) may be accepted with `jest -u`; anything else needs a new topic version.
describe('event JSON Schemas', () => {
  it.each(EVENT_CATALOG.map((contract) => [contract.topic, contract] as const))('%s', (_topic, contract) => {
    expect(eventJsonSchema(contract)).toMatchSnapshot();
  });
});
