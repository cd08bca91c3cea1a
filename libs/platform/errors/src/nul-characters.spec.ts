import { fieldErrorsForNulCharacters } from './nul-characters';

const fields = (input: unknown, at: Parameters<typeof fieldErrorsForNulCharacters>[1]) => fieldErrorsForNulCharacters(input, at).map((error) => error.field);

describe('fieldErrorsForNulCharacters', () => {
  it('names each string that holds a NUL character, as zod names fields', () => {
    expect(fields({ segment: '\u0000', 'custom.plan': 'gold\u0000', sort: 'name' }, 'query')).toEqual(['query.segment', 'query.custom.plan']);
    expect(fields({ sku: '\u0000' }, 'path')).toEqual(['path.sku']);
    expect(fields({ items: [{ name: 'ok' }, { name: 'a\u0000b' }], note: null, count: 3 }, 'body')).toEqual(['body.items.1.name']);
    expect(fields({ segment: ['smb', '\u0000'] }, 'query')).toEqual(['query.segment.1']);
  });

  it("looks into Fastify's query object, whose prototype is its own, but not into bytes", () => {
    const query = Object.assign(Object.create(Object.create(null) as object) as Record<string, unknown>, { segment: 'smb\u0000' });
    expect(fields(query, 'query')).toEqual(['query.segment']);
    expect(fields({ file: Buffer.from('a\u0000b') }, 'body')).toEqual([]);
  });

  it('names fields below the field a value was decoded from', () => {
    expect(fields(JSON.parse('{"columns":{"Nome":"na\\u0000me"}}'), 'query.mapping')).toEqual(['query.mapping.columns.Nome']);
  });

  it('names an object key that holds a NUL character', () => {
    expect(fieldErrorsForNulCharacters({ config: { 'a\u0000': 1 } }, 'body')).toEqual([{ field: 'body.config.a\u0000', code: 'nul_character', message: expect.stringContaining('name') }]);
  });

  it('finds nothing in text without NUL, including the escape written out', () => {
    expect(fields({ a: '\\u0000', b: '%00', c: '日本' }, 'query')).toEqual([]);
    expect(fields(undefined, 'query')).toEqual([]);
  });

  it('walks a deeply nested body without overflowing the stack, and reports at most 20 fields', () => {
    let deep: unknown = '\u0000';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(fields(deep, 'body')).toHaveLength(1);
    expect(fields(Array.from({ length: 1000 }, () => '\u0000'), 'body')).toHaveLength(20);
  });
});
