import { importMappingSchema } from '@pulse/contracts';
import { z } from 'zod';
import { fieldErrorsFromZod } from './zod-issues';

describe('fieldErrorsFromZod', () => {
  const body = z.strictObject({ name: z.string(), mapping: importMappingSchema.optional() });
  const errors = (input: unknown) => {
    const parsed = body.safeParse(input);
    if (parsed.success) throw new Error('expected the input to be refused');
    return fieldErrorsFromZod(parsed.error, 'body');
  };

  it('names each unknown key', () => {
    expect(errors({ name: 'x', colour: 'red', size: 1 }).map((error) => error.field)).toEqual(['body.colour', 'body.size']);
  });

  it("names the option of a mapping entry that is wrong, not the entry as an 'Invalid input' union", () => {
    // A source's mapping (POST /v1/sources) answered invalid_union at body.mapping.columns.a.
    const refused = errors({ name: 'x', mapping: { columns: { a: { field: 'customer_since', dateFormat: 'yyyy/dd/mm' } } } });
    expect(refused.map((error) => error.field)).toEqual(['body.mapping.columns.a.dateFormat']);
    expect(refused[0]?.code).not.toBe('invalid_union');
  });
});
