import { z } from 'zod';

const QUERY_NUMBER_TEXT = {
  integer: { pattern: /^-?\d+$/, message: 'Expected an integer: digits with an optional leading -.' },
  decimal: { pattern: /^-?\d+(\.\d+)?$/, message: 'Expected a decimal number: digits with an optional leading - and decimal point.' },
} as const;

/**
 * A number given as query-string text, then checked by `number` (bounds, integer, default). Only plain
 * decimal text is read: z.coerce.number() would take '' as 0, '0x10' as 16, ' 2' as 2 and '1e3' as 1000.
 * A preprocess (not a string pipe) so the OpenAPI document still shows the number's type and bounds.
 */
function numberFromQueryText<Schema extends z.ZodType<number>>(kind: keyof typeof QUERY_NUMBER_TEXT, number: Schema) {
  const text = QUERY_NUMBER_TEXT[kind];
  return z.preprocess((value, ctx) => {
    if (typeof value !== 'string') return value;
    if (text.pattern.test(value)) return Number(value);
    ctx.issues.push({ code: 'custom', message: text.message, input: value });
    return value;
  }, number);
}

/** An integer query parameter: `-?digits`, then `number` (give it .int() too, for the OpenAPI type). */
export const queryInteger = <Schema extends z.ZodType<number>>(number: Schema) => numberFromQueryText('integer', number);

/** A decimal query parameter: `-?digits[.digits]`, then `number`. */
export const queryDecimal = <Schema extends z.ZodType<number>>(number: Schema) => numberFromQueryText('decimal', number);
