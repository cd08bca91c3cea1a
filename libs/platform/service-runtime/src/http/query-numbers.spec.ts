import { validationErrorFromZod } from '@pulse/errors';
import { z } from 'zod';
import { queryDecimal, queryInteger } from './query-numbers';

const query = z.strictObject({
  limit: queryInteger(z.number().int().min(1).max(500).default(50)),
  share: queryDecimal(z.number().min(-1).max(1).default(0.1)),
});

/** The fields a 400 would name, or the parsed query. */
function parse(raw: Record<string, unknown>) {
  const parsed = query.safeParse(raw);
  return parsed.success ? parsed.data : validationErrorFromZod(parsed.error, 'query').fieldErrors.map((error) => error.field);
}

describe('queryInteger and queryDecimal', () => {
  it('reads plain decimal text, and the default when absent', () => {
    expect(parse({})).toEqual({ limit: 50, share: 0.1 });
    expect(parse({ limit: '7', share: '0.25' })).toEqual({ limit: 7, share: 0.25 });
    expect(parse({ limit: '007', share: '-0.5' })).toEqual({ limit: 7, share: -0.5 });
  });

  it.each([
    ['empty text (not 0)', { share: '' }, 'query.share'],
    ['hexadecimal', { limit: '0x10' }, 'query.limit'],
    ['padded with spaces', { limit: '  2' }, 'query.limit'],
    ['exponent notation', { limit: '1e2' }, 'query.limit'],
    ['a leading +', { limit: '+5' }, 'query.limit'],
    ['a bare decimal point', { share: '.5' }, 'query.share'],
    ['Infinity', { share: 'Infinity' }, 'query.share'],
    ['a repeated parameter', { limit: ['1', '2'] }, 'query.limit'],
    ['a decimal point where an integer is due', { limit: '2.0' }, 'query.limit'],
    ['a fraction where an integer is due', { limit: '1.5' }, 'query.limit'],
    ['a number out of bounds', { limit: '0' }, 'query.limit'],
  ])('refuses %s, naming the parameter', (_case, raw, field) => {
    expect(parse(raw)).toEqual([field]);
  });

  it('documents the number it reads, not text', () => {
    const { properties } = z.toJSONSchema(query, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, unknown> };
    expect(properties['limit']).toEqual({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
  });
});
