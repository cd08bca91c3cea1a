import {
  CANONICAL_ENTITY_SPECS,
  CUSTOM_FIELD_NAME_MAX_LENGTH,
  importMappingSchemaFor,
  type CanonicalEntity,
  type CanonicalField,
  type ImportColumnMapping,
  type ImportMapping,
} from '@pulse/contracts';
import { customConverter, inferCustomType, type CustomSample, type CustomType, type CustomValue } from './custom-columns';
import { dayMonthEvidence, type DayMonthOrder } from './date-formats';
import { normalizeHeader } from './header-names';
import { headerSplitHint, quotedColumns, type DelimiterChoice } from './header-split-hint';
import { detectDecimalSeparator, type DecimalSeparator } from './number-formats';
import { ParseError } from './parse-error';
import { canonicalConverter, compileTransforms, isFailure, type ColumnLocale, type DateReadingRule, type ValueConverter } from './value-converters';
import type { ZonedTime } from './zoned-time';

/** Records read before types and locale are decided; always the first ones of the file (resumes agree). */
export const SAMPLE_RECORDS = 1000;

export type ColumnTarget =
  | {
      readonly kind: 'canonical';
      readonly field: CanonicalField;
      readonly columnMapping: ImportColumnMapping | undefined;
      /** A key field or the customer reference: only whitespace is empty (canonicalConverter). */
      readonly identifying: boolean;
    }
  | {
      readonly kind: 'custom';
      readonly key: string;
      /** The mapping's entry for the column (`custom.<key>` with its own separator, date format, transforms). */
      readonly columnMapping?: ImportColumnMapping;
    }
  | { readonly kind: 'ignored' };

/** The mapping after schema validation, with source columns keyed by their normalised name. */
export interface ResolvedMapping {
  readonly mapping: ImportMapping | undefined;
  readonly columns: ReadonlyMap<string, ImportColumnMapping | null>;
  /** Normalised source name -> the source column as the mapping writes it (for error messages). */
  readonly sources: ReadonlyMap<string, string>;
}

export function resolveMapping(entity: CanonicalEntity, mapping: unknown): ResolvedMapping {
  if (mapping === undefined || mapping === null) return { mapping: undefined, columns: new Map(), sources: new Map() };
  const parsed = importMappingSchemaFor(entity).safeParse(mapping);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'mapping'}: ${issue.message}`).join('; ');
    throw new ParseError('invalid_mapping', `The import mapping is invalid: ${issues}`);
  }
  const columns = new Map<string, ImportColumnMapping | null>();
  const sources = new Map<string, string>();
  for (const [source, target] of Object.entries(parsed.data.columns ?? {})) {
    const name = normalizeHeader(source);
    if (name === '') {
      throw new ParseError(
        'invalid_mapping',
        `The mapping names "${source}", which has no letters or digits to tell a column by: a CSV column without any is named column_<position> (map that name); an NDJSON key without any is rejected.`,
      );
    }
    // `Region` and `region` name one column: two entries for it would silently keep only the last.
    const earlier = sources.get(name);
    if (earlier !== undefined) throw new ParseError('invalid_mapping', `The mapping names the column "${earlier}" twice (also as "${source}").`);
    sources.set(name, source);
    columns.set(name, typeof target === 'string' ? { field: target } : target);
  }
  return { mapping: parsed.data, columns, sources };
}

/**
 * CSV: every column the mapping sends somewhere must be in the header; a misspelt source (`Emial`) would
 * otherwise be ignored while the real column lands in `custom`. Columns mapped to null may be absent
 * (nothing to leave out). NDJSON is not checked: records legitimately leave keys out (README, "Mapping").
 */
export function assertMappedColumnsPresent(resolved: ResolvedMapping, names: readonly string[], headers: readonly string[], delimiter: DelimiterChoice): void {
  const present = new Set(names);
  const missing: string[] = [];
  for (const [name, target] of resolved.columns) if (target !== null && !present.has(name)) missing.push(resolved.sources.get(name) ?? name);
  if (missing.length === 0) return;
  const named = `The mapping names ${missing.length === 1 ? 'a column' : 'columns'} the file does not have: ${missing.map((source) => `"${source}"`).join(', ')}`;
  const hint = headerSplitHint(missing, headers, delimiter);
  throw new ParseError(
    'invalid_mapping',
    hint === undefined ? `${named} (columns found: ${headers.join(', ') || 'none'}).` : `${named} (columns found: ${quotedColumns(headers)}). ${hint}`,
  );
}

/** CSV: two columns with the same custom key would keep only one value per row; the file fails instead. */
export function assertUniqueCustomKeys(targets: readonly ColumnTarget[], headers: readonly string[]): void {
  const owners = new Map<string, number>();
  targets.forEach((target, index) => {
    if (target.kind !== 'custom') return;
    const earlier = owners.get(target.key);
    if (earlier !== undefined) {
      throw new ParseError(
        'invalid_mapping',
        `Columns "${headers[earlier]}" and "${headers[index]}" both go to custom.${target.key}; map one of them to another custom key, or leave it out with null.`,
      );
    }
    owners.set(target.key, index);
  });
}

/**
 * A custom key longer than a custom field name may be (CUSTOM_FIELD_NAME_MAX_LENGTH): the API could not
 * filter on it nor a scorecard score it, and cutting it could merge two columns. The message says how to
 * name the column instead; `source` is the column (or NDJSON key) as the file writes it.
 */
export function customKeyTooLong(key: string, source: string): string | undefined {
  if (key.length <= CUSTOM_FIELD_NAME_MAX_LENGTH) return undefined;
  return (
    `"${source}" would be the custom field ${key.length} characters long; a custom field name has at most ${CUSTOM_FIELD_NAME_MAX_LENGTH}. ` +
    `Map it to a shorter one ({"columns": {${JSON.stringify(source)}: "custom.<name>"}}), or leave it out with null.`
  );
}

/** CSV: a column whose custom key would be too long fails the file (customKeyTooLong). */
export function assertCustomKeysFit(targets: readonly ColumnTarget[], headers: readonly string[]): void {
  targets.forEach((target, index) => {
    const message = target.kind === 'custom' ? customKeyTooLong(target.key, headers[index] as string) : undefined;
    if (message) throw new ParseError('invalid_mapping', `Column ${message}`);
  });
}

/**
 * Whether a field names a row: one of the entity's key fields (optional ones too: usage events' and NPS
 * responses' `external_id`, an order line's `line_number`) or the field naming its customer (contacts'
 * optional `customer_external_id`). A value of only whitespace in such a field is empty, like an empty cell.
 */
export function isIdentifyingField(entity: CanonicalEntity, name: string): boolean {
  const spec = CANONICAL_ENTITY_SPECS[entity];
  return spec.key.includes(name) || spec.customerReference === name;
}

/**
 * Which target each source column (by normalised name) feeds: the mapping first; then a column named
 * like a canonical field that the mapping does not already feed; everything else goes to `custom` under
 * its normalised name.
 */
export function targetsOf(entity: CanonicalEntity, names: readonly string[], resolved: ResolvedMapping): ColumnTarget[] {
  const fields = new Map(CANONICAL_ENTITY_SPECS[entity].fields.map((field) => [field.name, field]));
  const mappedFields = new Set<string>();
  for (const target of resolved.columns.values()) if (target !== null) mappedFields.add(target.field);
  const autoFed = new Set<string>();
  return names.map((name): ColumnTarget => {
    const mapped = resolved.columns.get(name);
    if (mapped === null) return { kind: 'ignored' };
    if (mapped !== undefined) {
      if (mapped.field.startsWith('custom.')) return { kind: 'custom', key: mapped.field.slice('custom.'.length), columnMapping: mapped };
      return { kind: 'canonical', field: fields.get(mapped.field) as CanonicalField, columnMapping: mapped, identifying: isIdentifyingField(entity, mapped.field) };
    }
    const field = fields.get(name);
    if (field !== undefined && !mappedFields.has(name) && !autoFed.has(name)) {
      autoFed.add(name);
      return { kind: 'canonical', field, columnMapping: undefined, identifying: isIdentifyingField(entity, name) };
    }
    return { kind: 'custom', key: name };
  });
}

/** Canonical fields a constant fills, converted once (an unreadable constant is a mapping error). */
export function constantValues(entity: CanonicalEntity, resolved: ResolvedMapping, fedByColumns: ReadonlySet<string>, locale: ColumnLocale): Map<string, string | null> {
  const constants = new Map<string, string | null>();
  for (const [name, text] of Object.entries(resolved.mapping?.constants ?? {})) {
    if (fedByColumns.has(name)) continue;
    const field = CANONICAL_ENTITY_SPECS[entity].fields.find((candidate) => candidate.name === name) as CanonicalField;
    const converted = canonicalConverter(field, locale, undefined, isIdentifyingField(entity, name))(text);
    if (isFailure(converted)) throw new ParseError('invalid_mapping', `The constant for ${name} ("${text}") is not valid: expected ${converted.expected}.`);
    constants.set(name, converted);
  }
  return constants;
}

/** Required fields fed by neither a column nor a constant: the file cannot be loaded. */
export function assertRequiredColumns(entity: CanonicalEntity, fed: ReadonlySet<string>, headers: readonly string[], delimiter: DelimiterChoice): void {
  const missing = CANONICAL_ENTITY_SPECS[entity].fields.filter((field) => field.required && !fed.has(field.name)).map((field) => field.name);
  if (missing.length > 0) {
    const named = `The file has no column for the required field${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${entity}`;
    const hint = headerSplitHint(missing, headers, delimiter);
    throw new ParseError(
      'missing_required_column',
      hint === undefined
        ? `${named} (columns found: ${headers.join(', ') || 'none'}). Rename the column or map it.`
        : `${named} (columns found: ${quotedColumns(headers)}). ${hint}`,
    );
  }
}

/**
 * The file's decimal separator and day/month order: the mapping's locale when given, else detected from
 * the sample (number-formats.ts and the README describe the rules). `sample.numbers` and `sample.dates`
 * are the values of the columns that follow the file's separator and date order: a column whose mapping
 * sets its own has no say in the file's.
 */
export function decideLocale(
  resolved: ResolvedMapping,
  sample: { numbers: readonly string[]; dates: readonly string[] },
  delimiter: string | undefined,
  zone: ZonedTime,
  fallbackSeparator: DecimalSeparator | undefined,
): ColumnLocale {
  const locale = resolved.mapping?.locale;
  const decimalSeparator = locale?.decimalSeparator ?? fallbackSeparator ?? detectDecimalSeparator(sample.numbers, delimiter);
  return { decimalSeparator, dates: dateRule(locale?.dateFormat, sample.dates), zone };
}

/** The locale a column is read with: the file's, with the column's own separator and date format. */
export function columnLocaleOf(locale: ColumnLocale, columnMapping: ImportColumnMapping | undefined): ColumnLocale {
  if (columnMapping?.decimalSeparator === undefined && columnMapping?.dateFormat === undefined) return locale;
  return {
    ...locale,
    decimalSeparator: columnMapping.decimalSeparator ?? locale.decimalSeparator,
    dates: columnMapping.dateFormat === undefined ? locale.dates : dateRule(columnMapping.dateFormat, []),
  };
}

export function dateRule(format: NonNullable<ImportMapping['locale']>['dateFormat'], samples: readonly string[]): DateReadingRule {
  switch (format) {
    case 'dd/mm/yyyy':
      return { order: 'dmy', epoch: 'auto', isoOnly: false };
    case 'mm/dd/yyyy':
      return { order: 'mdy', epoch: 'auto', isoOnly: false };
    case 'yyyy-mm-dd':
      return { order: undefined, epoch: 'auto', isoOnly: true };
    case 'epoch_seconds':
      return { order: undefined, epoch: 'seconds', isoOnly: false };
    case 'epoch_millis':
      return { order: undefined, epoch: 'millis', isoOnly: false };
    case undefined:
      return { order: detectDayMonthOrder(samples), epoch: 'auto', isoOnly: false };
  }
}

/**
 * Day/month order rule: every sample value like `a/b/yyyy` whose first number is above 12 votes dd/mm,
 * whose second is above 12 votes mm/dd. One kind of vote decides; both kinds fail the file
 * (`ambiguous_date_format`); no vote leaves the order open, and then each value with both numbers at
 * most 12 is rejected as `ambiguous_date` while the others are read the only way they can be.
 */
export function detectDayMonthOrder(samples: readonly string[]): DayMonthOrder | undefined {
  let dmy: string | undefined;
  let mdy: string | undefined;
  for (const value of samples) {
    const evidence = dayMonthEvidence(value);
    if (evidence === 'dmy') dmy ??= value;
    else if (evidence === 'mdy') mdy ??= value;
  }
  if (dmy !== undefined && mdy !== undefined) {
    throw new ParseError(
      'ambiguous_date_format',
      `The file mixes day-first ("${dmy}") and month-first ("${mdy}") dates; set the import locale dateFormat.`,
    );
  }
  return dmy !== undefined ? 'dmy' : mdy !== undefined ? 'mdy' : undefined;
}

export interface CustomColumn {
  readonly type: CustomType;
  readonly convert: (text: string) => CustomValue;
}

/**
 * A custom column's type and converter, from its sample read as the column is: with its mapping's
 * transforms, separator and date format (`custom.<key>` entries take the same options as fields).
 */
export function customColumnOf(sample: readonly CustomSample[], locale: ColumnLocale, columnMapping?: ImportColumnMapping): CustomColumn {
  const transform = compileTransforms(columnMapping?.transforms);
  const columnLocale = columnLocaleOf(locale, columnMapping);
  const type = inferCustomType(
    sample.map((value) => (typeof value === 'string' ? transform(value) : value)),
    columnLocale,
  );
  const convert = customConverter(type, columnLocale);
  return { type, convert: columnMapping?.transforms?.length ? (text) => convert(transform(text)) : convert };
}

export function canonicalColumnConverter(target: Extract<ColumnTarget, { kind: 'canonical' }>, locale: ColumnLocale): ValueConverter {
  return canonicalConverter(target.field, columnLocaleOf(locale, target.columnMapping), target.columnMapping, target.identifying);
}
