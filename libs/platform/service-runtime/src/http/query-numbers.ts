import { z } from 'zod';

const QUERY_NUMBER_TEXT = {
  integer: { pattern: /^-?\d+$/, message: 'Expected an integer: digits with an optional leading -.' },
  decimal: { pattern: /^-?\d+(\.\d+)?$/, message: 'Expected a decimal number: digits with an optional leading - and decimal point.' },
} as const;

/** Marks a query decimal for the OpenAPI document (queryTextJsonSchema). */
const QUERY_TEXT_META = 'x-pulse-query-text';

/**
 * A number given as query-string text, then checked by `number` (bounds, integer, default). Only plain
 * decimal text is read: z.coerce.number() would take '' as 0, '0x10' as 16, ' 2' as 2 and '1e3' as 1000.
 * A preprocess (not a string pipe) so the OpenAPI document still shows the number's type and bounds.
 */
function numberFromQueryText<Schema extends z.ZodType<number>>(kind: keyof typeof QUERY_NUMBER_TEXT, number: Schema) {
  const text = QUERY_NUMBER_TEXT[kind];
  const parsed = z.preprocess((value, ctx) => {
    if (typeof value !== 'string') return value;
    if (text.pattern.test(value)) return Number(value);
    ctx.issues.push({ code: 'custom', message: text.message, input: value });
    return value;
  }, number);
  // An integer stays `type: integer` in the document: a client writes any integer as plain digits. A
  // decimal does not (JavaScript writes 0.0000001 as 1e-7, which is refused): it is declared as the text.
  return kind === 'decimal' ? parsed.meta({ [QUERY_TEXT_META]: kind }) : parsed;
}

/**
 * The OpenAPI schema of a queryDecimal parameter, given the JSON Schema zod made of it (a number with
 * its bounds): a string of plain decimal text, the bounds and default said in words. Undefined for any
 * other schema.
 */
export function queryTextJsonSchema(numberSchema: Record<string, unknown>): Record<string, unknown> | undefined {
  if (numberSchema[QUERY_TEXT_META] !== 'decimal') return undefined;
  const { minimum, maximum, description, default: fallback } = numberSchema;
  const bounds = minimum !== undefined && maximum !== undefined ? ` from ${String(minimum)} to ${String(maximum)}` : '';
  const text = `A decimal number${bounds} as plain decimal text: digits with an optional leading - and decimal point (no exponent).`;
  return {
    type: 'string',
    pattern: QUERY_NUMBER_TEXT.decimal.pattern.source,
    description: description === undefined ? text : `${String(description)} ${text}`,
    ...(fallback !== undefined ? { default: String(fallback) } : {}),
  };
}

/** An integer query parameter: `-?digits`, then `number` (give it .int() too, for the OpenAPI type). */
export const queryInteger = <Schema extends z.ZodType<number>>(number: Schema) => numberFromQueryText('integer', number);

/** A decimal query parameter: `-?digits[.digits]`, then `number`. */
export const queryDecimal = <Schema extends z.ZodType<number>>(number: Schema) => numberFromQueryText('decimal', number);
