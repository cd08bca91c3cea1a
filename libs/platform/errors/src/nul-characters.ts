import type { FieldError } from '@pulse/contracts';
import type { InputLocation } from './zod-issues';

// A body full of NUL strings would otherwise get one error per string.
const MAX_ERRORS = 20;

interface Visit {
  value: unknown;
  key: string;
  parent: Visit | undefined;
}

function fieldOf(visit: Visit): string {
  const keys: string[] = [];
  for (let at: Visit | undefined = visit; at; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
}

/** Objects whose fields to look into: any (Fastify's query object has a prototype of its own) but bytes. */
function hasFields(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !ArrayBuffer.isView(value);
}

const nulError = (field: string, what: string): FieldError => ({ field, code: 'nul_character', message: `${what} a NUL character (\\u0000), which cannot be stored.` });

/**
 * One field error per string (or object key) of a request part that holds a NUL character, named as
 * zod errors are (`query.segment`, `path.sku`, `body.items.0.name`); `at` is the part, or the field of
 * it the value was decoded from (`query.mapping` for JSON in a parameter). PostgreSQL text and jsonb cannot
 * hold NUL: such a value would fail inside a query (a 500) instead of naming the field. Walks objects
 * and arrays breadth-first without recursion, so a deeply nested JSON body cannot overflow the stack.
 */
export function fieldErrorsForNulCharacters(input: unknown, at: InputLocation | `${InputLocation}.${string}`): FieldError[] {
  const errors: FieldError[] = [];
  const queue: Visit[] = [{ value: input, key: at, parent: undefined }];
  const seen = new WeakSet<object>();
  for (let next = 0; next < queue.length && errors.length < MAX_ERRORS; next++) {
    const visit = queue[next] as Visit;
    const { value } = visit;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) errors.push(nulError(fieldOf(visit), 'Contains'));
      continue;
    }
    if (!hasFields(value) || seen.has(value)) continue;
    seen.add(value);
    if (Array.isArray(value)) {
      value.forEach((item, index) => queue.push({ value: item, key: String(index), parent: visit }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const child = { value: item, key, parent: visit };
      if (key.includes('\u0000')) errors.push(nulError(fieldOf(child), 'The name of this field contains'));
      queue.push(child);
    }
  }
  return errors.slice(0, MAX_ERRORS);
}
