import { z } from 'zod';
import type { EventContract } from './event-contract';

/** The JSON Schema of what a publisher may send for a contract (docs, other languages, registries). */
export function eventJsonSchema(contract: EventContract): Record<string, unknown> {
  return {
    ...z.toJSONSchema(contract.payload, { io: 'input' }),
    title: contract.topic,
    description: contract.description,
  };
}
