import { eventAttributesSchema, findEventContract, type EventEnvelope } from '@pulse/contracts';

export type DecodeResult = { ok: true; envelope: EventEnvelope } | { ok: false; reason: string };

/**
 * Turns a received message into a validated envelope, or says exactly why it cannot be one. A message
 * that fails here can never succeed, so it is dead-lettered at once instead of retried.
 */
export function decodeMessage(topic: string, attributes: Record<string, string>, data: Buffer): DecodeResult {
  const contract = findEventContract(topic);
  if (!contract) return { ok: false, reason: `no contract for topic ${topic}` };

  const parsedAttributes = eventAttributesSchema.safeParse(attributes);
  if (!parsedAttributes.success) {
    const problems = parsedAttributes.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    return { ok: false, reason: `invalid attributes (${problems.join('; ')})` };
  }
  if (parsedAttributes.data.schemaVersion !== String(contract.schemaVersion)) {
    return { ok: false, reason: `schemaVersion ${parsedAttributes.data.schemaVersion} on a v${contract.schemaVersion} topic` };
  }

  let body: unknown;
  try {
    body = JSON.parse(data.toString('utf8'));
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const payload = contract.payload.safeParse(body);
  if (!payload.success) {
    const problems = payload.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    return { ok: false, reason: `invalid payload (${problems.join('; ')})` };
  }
  return { ok: true, envelope: { topic, ...parsedAttributes.data, payload: payload.data } };
}
