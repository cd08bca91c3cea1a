import { z } from 'zod';
import { importMappingSchemaFor } from './import-mapping.schema';
import { narrowUnionIssues } from './union-issues';

const issuesOf = (schema: z.ZodType, input: unknown) => {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('expected the input to be refused');
  return narrowUnionIssues(result.error.issues).map(({ code, path, message }) => ({ code, path: path.join('.'), message }));
};

describe('narrowUnionIssues', () => {
  const mapping = importMappingSchemaFor('customers');

  it('reports the issues of the one branch that takes the input type, at their own paths', () => {
    expect(issuesOf(mapping, { columns: { a: { field: 'customer_since', dateFormat: 'yyyy/dd/mm' } } })).toEqual([
      { code: 'invalid_value', path: 'columns.a.dateFormat', message: 'Invalid option: expected one of "yyyy-mm-dd"|"dd/mm/yyyy"|"mm/dd/yyyy"|"epoch_seconds"|"epoch_millis"' },
    ]);
    expect(issuesOf(mapping, { columns: { a: { field: 'aliases', transforms: ['trim', 'reverse'] }, b: { field: 'name', decimalSeparator: ';' } } })).toEqual([
      { code: 'invalid_value', path: 'columns.a.transforms.1', message: 'Invalid option: expected one of "trim"|"lowercase"|"uppercase"' },
      { code: 'invalid_value', path: 'columns.b.decimalSeparator', message: 'Invalid option: expected one of "."|","' },
    ]);
  });

  it('says which types a union takes when no branch takes the input type', () => {
    expect(issuesOf(mapping, { columns: { a: 12 } })).toEqual([{ code: 'invalid_union', path: 'columns.a', message: 'Invalid input: expected string, object or null' }]);
  });

  it('leaves a union alone when several branches take the input type, and narrows unions within unions', () => {
    const twoObjects = z.union([z.strictObject({ a: z.literal(1) }), z.strictObject({ b: z.literal(2) })]);
    expect(issuesOf(twoObjects, { a: 2 })).toEqual([{ code: 'invalid_union', path: '', message: 'Invalid input' }]);
    const nested = z.object({ x: z.union([z.number(), z.object({ y: z.union([z.boolean(), z.array(z.enum(['p', 'q']))]) })]) });
    expect(issuesOf(nested, { x: { y: ['p', 'r'] } })).toEqual([{ code: 'invalid_value', path: 'x.y.1', message: 'Invalid option: expected one of "p"|"q"' }]);
  });

  it('keeps every other issue as it is', () => {
    expect(issuesOf(mapping, { delimiter: ':', columns: { a: 'email' } })).toEqual([
      { code: 'invalid_value', path: 'delimiter', message: expect.stringContaining('Invalid option') },
    ]);
  });
});
