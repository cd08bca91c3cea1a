import { CUSTOM_FIELD_NAME_MAX_LENGTH, CUSTOM_FIELD_NAME_PATTERN, type FieldError } from '@pulse/contracts';
import { fieldErrorsForNulCharacters, ValidationError, validationErrorFromZod } from '@pulse/errors';
import { tenantTimezoneOrThrow } from '../tenancy/tenant-timezone';
import { z } from 'zod';
import { isPostgresDate, isPostgresInstant, POSTGRES_INSTANT_PATTERN } from '../request-input/postgres-values';
import { queryInteger } from '@pulse/service-runtime';
import { CUSTOMER_KPI_FIELDS, CUSTOMER_SORT_FIELDS, CUSTOMER_TIEBREAKER, RANGE_OPERATORS, type CustomerKpiField, type RangeOperator } from './customer-list-fields';
import type { CursorPosition, SortKey } from './keyset-pagination';
import { decodeCursor, MAX_CURSOR_LENGTH } from './list-cursor';
import { parseSort, sortSignature } from './list-sort';

const HEALTH_BANDS = ['red', 'yellow', 'green'] as const;
// The KPI amount columns are NUMERIC(38,4): up to 34 digits before the point.
const KPI_DECIMAL = /^-?\d{1,38}(\.\d{1,38})?$/;
export type HealthBand = (typeof HEALTH_BANDS)[number];

/** Every `<kpi>[<op>]` parameter, in a fixed order (built once: a list request checks each of them). */
const RANGE_KEYS = (Object.keys(CUSTOMER_KPI_FIELDS) as CustomerKpiField[]).flatMap((field) =>
  (Object.keys(RANGE_OPERATORS) as RangeOperator[]).map((op) => ({ key: `${field}[${op}]` as const, field, op })),
);

const INTEGER_RANGE_MESSAGE = 'expected an integer from -999999999 to 999999999';
const DECIMAL_MESSAGE = 'expected a decimal number';
const INSTANT_MESSAGE =
  'expected an ISO-8601 date or instant (YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS[.ffffff]] with Z or an offset up to ±15:59) of a real day in years 0001-9999';

/**
 * A `<kpi>[<op>]` parameter by the KPI's type, so that /openapi.json says what is accepted: an integer, a
 * decimal as text with its pattern (JavaScript would write 1e-7), a date or instant with its pattern
 * (whether the day exists is checked after: rangeValueError).
 */
function rangeParameter(field: CustomerKpiField, op: RangeOperator): z.ZodType {
  const description = `${field} ${op} value`;
  switch (CUSTOMER_KPI_FIELDS[field].type) {
    case 'integer':
      return queryInteger(z.number().int(INTEGER_RANGE_MESSAGE).min(-999_999_999, INTEGER_RANGE_MESSAGE).max(999_999_999, INTEGER_RANGE_MESSAGE)).optional().describe(description);
    case 'timestamptz':
      return z.string().regex(POSTGRES_INSTANT_PATTERN, INSTANT_MESSAGE).optional().describe(description);
    default:
      return z.string().regex(KPI_DECIMAL, DECIMAL_MESSAGE).optional().describe(description);
  }
}

const rangeKeys = Object.fromEntries(
  (Object.keys(CUSTOMER_KPI_FIELDS) as CustomerKpiField[]).flatMap((field) => (Object.keys(RANGE_OPERATORS) as RangeOperator[]).map((op) => [`${field}[${op}]`, rangeParameter(field, op)])),
) as Record<`${CustomerKpiField}[${RangeOperator}]`, z.ZodOptional<z.ZodString>>;

/**
 * The query string of GET /v1/customers, except `custom.*` filters (open-ended names, validated by
 * parseCustomFilters). Strict: any other unknown parameter is a 400.
 */
export const customerListQuerySchema = z.strictObject({
  limit: queryInteger(z.number().int().min(1).max(500).default(50)),
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional(),
  sort: z.string().max(500).optional().describe('Comma list of fields, `-` for descending: name or any KPI (e.g. -revenue90d,name). Default name.'),
  healthBand: z
    .string()
    .regex(/^(red|yellow|green)(,(red|yellow|green))*$/, 'Comma list of red, yellow, green')
    .optional(),
  // As long as ingestion stores one (with the name, at most INDEXED_TEXT_MAX_BYTES of UTF-8).
  segment: z.string().min(1).max(2600).optional(),
  ...rangeKeys,
});

export interface RangeFilter {
  field: CustomerKpiField;
  op: RangeOperator;
  value: string;
}

export interface CustomFieldFilter {
  /** A JSON object key of customers.custom: letters, digits and _ only (passed as a parameter anyway). */
  name: string;
  op: RangeOperator;
  value: string;
}

export interface CustomerListSpec {
  limit: number;
  sort: SortKey[];
  signature: string;
  cursor?: CursorPosition;
  healthBands?: HealthBand[];
  segment?: string;
  ranges: RangeFilter[];
  custom: CustomFieldFilter[];
  /**
   * The tenant's timezone (IANA name): a date alone in a range on an instant field is the start of that
   * day there (see rangeValueSql in customer-list.sql). Checked whenever a range needs it.
   */
  timezone: string;
}

const CUSTOM_KEY = new RegExp(`^custom\\.(${CUSTOM_FIELD_NAME_PATTERN})(?:\\[(eq|gt|gte|lt|lte)\\])?$`);
const NUMBER = /^-?\d{1,30}(\.\d{1,30})?$/;

/**
 * The custom field filters for the OpenAPI document (`x-query-parameter-patterns`): no parameter style
 * writes `custom.<name>` (deepObject would send `custom[name]=`, which is a 400 here), so a generated
 * client sends them as extra query parameters, as the description and these patterns say.
 */
export const CUSTOM_FIELD_FILTER_PATTERNS = [
  {
    pattern: new RegExp(`^custom\\.${CUSTOM_FIELD_NAME_PATTERN}(\\[eq\\])?$`),
    description: 'custom.<name>=value: equality on a custom field (the JSON string; a number also matches equal JSON numbers, true/false the JSON boolean)',
    schema: z.string().max(1000),
  },
  {
    pattern: new RegExp(`^custom\\.${CUSTOM_FIELD_NAME_PATTERN}\\[(gt|gte|lt|lte)\\]$`),
    description: 'custom.<name>[gt|gte|lt|lte]=number: numeric comparison on a custom field (rows whose value is a number or numeric string)',
    schema: z.string().regex(NUMBER),
  },
];
const INTEGER = /^-?\d{1,9}$/;
const MAX_CUSTOM_FILTERS = 20;

function rangeValueError(field: CustomerKpiField, value: string): string | undefined {
  const type = CUSTOMER_KPI_FIELDS[field].type;
  if (type === 'integer') return INTEGER.test(value) ? undefined : INTEGER_RANGE_MESSAGE;
  if (type === 'timestamptz') return isPostgresInstant(value) ? undefined : INSTANT_MESSAGE;
  return KPI_DECIMAL.test(value) ? undefined : DECIMAL_MESSAGE;
}

function parseCustomFilters(raw: Record<string, unknown>, errors: FieldError[]): CustomFieldFilter[] {
  const filters: CustomFieldFilter[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const field = `query.${key}`;
    const match = CUSTOM_KEY.exec(key);
    if (!match) {
      errors.push({ field, code: 'invalid_custom_field', message: `Custom field filters are custom.<name> or custom.<name>[eq|gt|gte|lt|lte]; <name> is 1-${CUSTOM_FIELD_NAME_MAX_LENGTH} letters, digits or _, not starting with _.` });
      continue;
    }
    const op = (match[2] ?? 'eq') as RangeOperator;
    if (typeof value !== 'string' || value.length > 1000) {
      errors.push({ field, code: 'invalid_type', message: 'Give one value of at most 1000 characters.' });
      continue;
    }
    if (op !== 'eq' && !NUMBER.test(value)) {
      errors.push({ field, code: 'invalid_number', message: 'Range comparisons on custom fields take a decimal number.' });
      continue;
    }
    filters.push({ name: match[1] as string, op, value });
  }
  if (filters.length > MAX_CUSTOM_FILTERS) errors.push({ field: 'query', code: 'too_many_filters', message: `At most ${MAX_CUSTOM_FILTERS} custom field filters.` });
  return filters;
}

/** Whether a range compares an instant field with a date alone (`lastOrderAt[gte]=2026-06-18`). */
export function isLocalDayRange(range: RangeFilter): boolean {
  return CUSTOMER_KPI_FIELDS[range.field].type === 'timestamptz' && isPostgresDate(range.value);
}

/** A date alone has to be placed in the tenant's timezone, which must then be one: its canonical name for SQL. */
function timezoneForDates(ranges: RangeFilter[], timezone: string): string {
  if (!ranges.some(isLocalDayRange)) return timezone;
  return tenantTimezoneOrThrow(timezone, 'a date cannot be placed in it: filter with an instant with Z or an offset (2026-06-18T00:00-04:00) instead');
}

/** `parse`'s result, or undefined with its ValidationError's field errors added to `errors`. */
function fieldErrorsInto<T>(errors: FieldError[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors.push(...error.fieldErrors);
    return undefined;
  }
}

/**
 * Turns the raw query string (as Fastify parses it: `a[gte]` is a literal key) into a list spec;
 * `timezone` is the tenant's (setting `timezone`), where a date alone on an instant field starts.
 */
export function parseCustomerListQuery(raw: Record<string, unknown>, timezone: string): CustomerListSpec {
  // Parsed here, not by a ZodValidationPipe (custom.* names are open-ended): refuse NUL, which no text column holds.
  const nulErrors = fieldErrorsForNulCharacters(raw, 'query');
  if (nulErrors.length > 0) throw new ValidationError(nulErrors);

  const customRaw: Record<string, unknown> = {};
  const standardRaw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const target = key.startsWith('custom.') ? customRaw : standardRaw;
    // Assigning `__proto__` would set the object's prototype instead of adding the key, and
    // `?__proto__=1` would vanish instead of being refused as unknown. (Plain objects, not prototype-less
    // ones, which zod validates markedly slower: this runs on every list request.)
    if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
    else target[key] = value;
  }

  // Every field's error in one answer (the shape, custom filters, range values, the sort), so that a
  // client fixes its query once instead of once per stage. A field the shape refuses is not checked again.
  const parsed = customerListQuerySchema.safeParse(standardRaw);
  const errors: FieldError[] = parsed.success ? [] : [...validationErrorFromZod(parsed.error, 'query').fieldErrors];
  const refused = new Set(errors.map((error) => error.field));
  const custom = parseCustomFilters(customRaw, errors);
  const ranges: RangeFilter[] = [];
  for (const { key, field, op } of RANGE_KEYS) {
    const value = standardRaw[key];
    if (typeof value !== 'string' || refused.has(`query.${key}`)) continue;
    const problem = rangeValueError(field, value);
    if (problem) errors.push({ field: `query.${key}`, code: 'invalid_value', message: problem });
    else ranges.push({ field, op, value });
  }
  const sort = refused.has('query.sort') ? [] : fieldErrorsInto(errors, () => parseSort(standardRaw['sort'] as string | undefined, CUSTOMER_SORT_FIELDS, 'name'));
  if (!parsed.success || errors.length > 0 || !sort) throw new ValidationError(errors);
  const zone = timezoneForDates(ranges, timezone);

  const query = parsed.data;
  const signature = sortSignature(sort);
  return {
    limit: query.limit,
    sort,
    signature,
    ...(query.cursor !== undefined ? { cursor: decodeCursor(query.cursor, signature, sort, CUSTOMER_TIEBREAKER) } : {}),
    ...(query.healthBand ? { healthBands: [...new Set(query.healthBand.split(','))] as HealthBand[] } : {}),
    ...(query.segment !== undefined ? { segment: query.segment } : {}),
    ranges,
    custom,
    timezone: zone,
  };
}

export { HEALTH_BANDS };
