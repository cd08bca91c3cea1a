import { validationErrorFromZod } from '@pulse/errors';
import { z } from 'zod';
import { calendarDateSchema } from './request-input.schemas';

const query = z.strictObject({ from: calendarDateSchema.optional() });

/** The fields a 400 would name, or the parsed query. */
function parse(raw: Record<string, unknown>) {
  const parsed = query.safeParse(raw);
  return parsed.success ? parsed.data : validationErrorFromZod(parsed.error, 'query').fieldErrors.map((error) => error.field);
}

describe('calendarDateSchema', () => {
  it('accepts the dates PostgreSQL holds', () => {
    expect(parse({ from: '0001-01-01' })).toMatchObject({ from: '0001-01-01' });
    expect(parse({ from: '2024-02-29' })).toMatchObject({ from: '2024-02-29' });
  });

  it.each(['0000-01-01', '2026-02-29', '2026-13-01', '26-01-01'])('refuses %s naming the field', (from) => {
    expect(parse({ from })).toEqual(['query.from']);
  });
});
