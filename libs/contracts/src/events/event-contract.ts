import { z } from 'zod';

/** Topic names carry the version: `<domain>.<event>.v<N>`, e.g. `ingestion.completed.v1`. */
export const TOPIC_NAME = /^[a-z][a-z-]*\.[a-z][a-z-]*\.v([1-9][0-9]*)$/;

/**
 * One event type: its versioned topic and the zod schema of its JSON body. The same definition gives the
 * TypeScript type, validation at publish and at consume, and the JSON Schema in the docs.
 * Within a version only additive changes are allowed; a breaking change is a new contract (`.v2`)
 * published side by side with the old one until every consumer has moved.
 */
export interface EventContract<Topic extends string = string, Payload extends z.ZodType = z.ZodType> {
  readonly topic: Topic;
  readonly schemaVersion: number;
  readonly description: string;
  readonly payload: Payload;
}

export type EventPayload<Contract extends EventContract> = z.output<Contract['payload']>;

export function defineEvent<Topic extends string, Payload extends z.ZodType>(definition: {
  topic: Topic;
  description: string;
  payload: Payload;
}): EventContract<Topic, Payload> {
  const match = TOPIC_NAME.exec(definition.topic);
  if (!match) throw new Error(`Topic "${definition.topic}" does not follow <domain>.<event>.v<N>`);
  return { ...definition, schemaVersion: Number(match[1]) };
}

/**
 * Pub/Sub message attributes every event carries (all strings, as Pub/Sub requires). The body holds the
 * payload only, so consumers can route, dedupe and log without parsing it.
 */
export const eventAttributesSchema = z.object({
  /** The idempotency key: a redelivered message keeps its eventId. */
  eventId: z.uuid(),
  tenantId: z.string().min(1),
  correlationId: z.string().min(1).max(128),
  occurredAt: z.iso.datetime({ offset: false }),
  schemaVersion: z.string().regex(/^[1-9][0-9]*$/),
});

export type EventAttributes = z.infer<typeof eventAttributesSchema>;

/** An event as a consumer's handler receives it: validated attributes and payload. */
export interface EventEnvelope<Payload = unknown> extends EventAttributes {
  topic: string;
  payload: Payload;
}
