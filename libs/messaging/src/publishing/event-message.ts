import { randomUUID } from 'node:crypto';
import { eventAttributesSchema, type EventAttributes, type EventContract, type EventPayload } from '@pulse/contracts';
import { ValidationError, fieldErrorsFromZod } from '@pulse/errors';

export interface EventMetadata {
  tenantId: string;
  correlationId: string;
  /** Given when re-publishing (outbox relay); a new uuid otherwise. */
  eventId?: string;
  occurredAt?: Date;
}

/** A message ready for Pub/Sub: the JSON body, the string attributes and the per-tenant ordering key. */
export interface EventMessage {
  topic: string;
  data: Buffer;
  attributes: EventAttributes;
  orderingKey: string;
}

/**
 * Validates a payload against its contract and builds the message. An invalid payload is a bug in the
 * publisher: it is refused here rather than poisoning every consumer.
 */
export function buildEventMessage<Contract extends EventContract>(
  contract: Contract,
  payload: EventPayload<Contract>,
  metadata: EventMetadata,
): EventMessage {
  const parsed = contract.payload.safeParse(payload);
  if (!parsed.success) {
    throw new ValidationError(fieldErrorsFromZod(parsed.error, 'body'), `Invalid ${contract.topic} payload`);
  }
  const attributes = eventAttributesSchema.parse({
    eventId: metadata.eventId ?? randomUUID(),
    tenantId: metadata.tenantId,
    correlationId: metadata.correlationId,
    occurredAt: (metadata.occurredAt ?? new Date()).toISOString(),
    schemaVersion: String(contract.schemaVersion),
  });
  return {
    topic: contract.topic,
    data: Buffer.from(JSON.stringify(parsed.data)),
    attributes,
    // Events of one tenant are delivered in the order they were published.
    orderingKey: metadata.tenantId,
  };
}
