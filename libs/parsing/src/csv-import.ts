import { CANONICAL_ENTITY_SPECS, type CanonicalEntity } from '@pulse/contracts';
import type { BatchBuilder } from './batch-builder';
import {
  SAMPLE_RECORDS,
  assertMappedColumnsPresent,
  assertRequiredColumns,
  assertCustomKeysFit,
  assertUniqueCustomKeys,
  canonicalColumnConverter,
  constantValues,
  customColumnOf,
  decideLocale,
  targetsOf,
  type ResolvedMapping,
} from './column-plan';
import { detectRecordDelimiter, readCsvRecords } from './csv-records';
import type { CustomValue } from './custom-columns';
import { bestDelimiter, delimiterScores, type CsvDelimiter } from './delimiter-detection';
import type { DelimiterChoice } from './header-split-hint';
import { normalizeHeaderRow } from './header-names';
import { indexedTextChecks, tooLongForIndex, tooLongMessage, type IndexedTextCheck } from './indexed-text';
import { ParseError } from './parse-error';
import type { CanonicalRow, ParsedBatch, RowRejection } from './parse-types';
import type { DecodedText } from './text-decoding';
import { isBlankText, type ValueConverter } from './value-converters';
import type { ZonedTime } from './zoned-time';

interface CsvContext {
  readonly entity: CanonicalEntity;
  readonly resolved: ResolvedMapping;
  readonly zone: ZonedTime;
  readonly skipRecords: number;
  readonly batch: BatchBuilder;
}

const isBlankLine = (fields: readonly string[]): boolean => fields.length === 1 && fields[0] === '';

/** A line of only spaces or empty fields: before the header, skipped like a blank line (a file of nothing else is empty). */
const isSpacesOnly = (fields: readonly string[]): boolean => fields.every((field) => field.trim() === '');

/**
 * Compiled conversion of one file's records: per column a converter chosen once from the header, the
 * mapping and the sample, so the per-record work is a loop over arrays.
 */
class CsvRecordConverter {
  private readonly canonicalIndexes: number[] = [];
  private readonly canonicalFields: string[] = [];
  private readonly canonicalConverters: ValueConverter[] = [];
  private readonly requiredFields: string[] = [];
  private readonly customIndexes: number[] = [];
  private readonly customKeys: string[] = [];
  private readonly customConverters: ((text: string) => CustomValue)[] = [];
  /** Row shapes with every key present: `{ ...template }` allocates the object at its final size once. */
  private readonly valuesTemplate: Record<string, string | null> = {};
  private readonly customTemplate: Record<string, CustomValue> = {};
  /** Positions in canonicalFields of the entity's key fields, for the key of a rejected record. */
  private readonly keyPositions: number[] = [];
  /** Text the load writes into an index, which must fit one entry (indexed-text.ts). */
  private readonly indexedText: IndexedTextCheck[];
  /** ParsedBatch.fieldColumns: the header as written of each canonical field a column feeds. */
  readonly fieldColumns: Readonly<Record<string, string>>;
  private readonly quote: RegExp;
  private readonly delimiter: CsvDelimiter;

  constructor(
    entity: CanonicalEntity,
    private readonly headers: readonly string[],
    resolved: ResolvedMapping,
    sample: readonly string[][],
    delimiterChoice: DelimiterChoice,
    zone: ZonedTime,
  ) {
    const delimiter = delimiterChoice.delimiter;
    this.delimiter = delimiter;
    const names = normalizeHeaderRow(headers);
    assertMappedColumnsPresent(resolved, names, headers, delimiterChoice);
    const targets = targetsOf(entity, names, resolved);
    assertUniqueCustomKeys(targets, headers);
    assertCustomKeysFit(targets, headers);
    const fed = new Set<string>();
    for (const target of targets) if (target.kind === 'canonical') fed.add(target.field.name);
    const constantsFed = new Set(Object.keys(resolved.mapping?.constants ?? {}));
    assertRequiredColumns(entity, new Set([...fed, ...constantsFed]), headers, delimiterChoice);

    const columnSample = (index: number): string[] => sample.filter((record) => record.length > index).map((record) => record[index] as string);
    // Numbers and dates of every column (canonical or custom) inform the locale; a column whose mapping
    // sets its own separator or date format votes only on the other.
    const localeSample = { numbers: [] as string[], dates: [] as string[] };
    targets.forEach((target, index) => {
      if (target.kind === 'ignored' || (target.kind === 'canonical' && target.field.type === 'text')) return;
      const values = columnSample(index);
      if (target.columnMapping?.decimalSeparator === undefined) localeSample.numbers.push(...values);
      if (target.columnMapping?.dateFormat === undefined) localeSample.dates.push(...values);
    });
    const locale = decideLocale(resolved, localeSample, delimiter, zone, undefined);

    targets.forEach((target, index) => {
      if (target.kind === 'canonical') {
        this.canonicalIndexes.push(index);
        this.canonicalFields.push(target.field.name);
        this.canonicalConverters.push(canonicalColumnConverter(target, locale));
      } else if (target.kind === 'custom') {
        this.customIndexes.push(index);
        this.customKeys.push(target.key);
        this.customConverters.push(customColumnOf(columnSample(index), locale, target.columnMapping).convert);
      }
    });
    for (const field of this.canonicalFields) this.valuesTemplate[field] = null;
    // Constants are the same in every row: they live in the template.
    for (const [field, value] of constantValues(entity, resolved, fed, locale)) this.valuesTemplate[field] = value;
    for (const key of this.customKeys) this.customTemplate[key] = null;
    for (const field of CANONICAL_ENTITY_SPECS[entity].fields) if (field.required) this.requiredFields.push(field.name);
    for (const field of CANONICAL_ENTITY_SPECS[entity].key) if (this.canonicalFields.includes(field)) this.keyPositions.push(this.canonicalFields.indexOf(field));
    this.indexedText = indexedTextChecks(entity, (field) => field in this.valuesTemplate);
    const fieldColumns: Record<string, string> = {};
    this.canonicalFields.forEach((field, i) => (fieldColumns[field] = headers[this.canonicalIndexes[i] as number] as string));
    this.fieldColumns = fieldColumns;
    this.quote = new RegExp(`[${delimiter === '\t' ? '\\t' : `\\${delimiter}`}"\\r\\n]`);
  }

  convert(fields: readonly string[], line: number): CanonicalRow | RowRejection {
    const width = this.headers.length;
    if (fields.length !== width && !(fields.length > width && fields.slice(width).every((field) => field === ''))) {
      return this.reject(fields, line, null, 'wrong_field_count', `The record has ${fields.length} fields; the header has ${width}.`);
    }
    const values = { ...this.valuesTemplate };
    for (let i = 0; i < this.canonicalIndexes.length; i += 1) {
      const index = this.canonicalIndexes[i] as number;
      const text = fields[index] as string;
      const converted = (this.canonicalConverters[i] as ValueConverter)(text);
      if (converted !== null && typeof converted === 'object') {
        return this.reject(fields, line, this.headers[index] as string, converted.reasonCode, `"${text}" is not valid: expected ${converted.expected}.`);
      }
      values[this.canonicalFields[i] as string] = converted;
    }
    for (let i = 0; i < this.requiredFields.length; i += 1) {
      const field = this.requiredFields[i] as string;
      const value = values[field] as string | null;
      if (value === null || isBlankText(value)) {
        const column = this.headers[this.canonicalIndexes[this.canonicalFields.indexOf(field)] as number] ?? field;
        return this.reject(fields, line, column, 'missing_required', `${field} is required but the value is empty.`);
      }
    }
    const tooLong = this.indexedText.length === 0 ? undefined : tooLongForIndex(values, this.indexedText);
    if (tooLong) {
      const columnOf = (field: string) => this.headers[this.canonicalIndexes[this.canonicalFields.indexOf(field)] as number] ?? field;
      return { ...this.reject(fields, line, null, 'too_long', tooLongMessage(tooLong, columnOf, 'Column')), column: columnOf(tooLong.field) };
    }
    const custom = { ...this.customTemplate };
    for (let i = 0; i < this.customIndexes.length; i += 1) {
      const text = fields[this.customIndexes[i] as number];
      custom[this.customKeys[i] as string] = text === undefined ? null : (this.customConverters[i] as (text: string) => CustomValue)(text);
    }
    return { line, values, custom };
  }

  private reject(fields: readonly string[], line: number, column: string | null, reasonCode: RowRejection['reasonCode'], message: string): RowRejection {
    const where = column === null ? '' : `Column "${column}": `;
    const key = this.keyOf(fields);
    return { line, column, reasonCode, message: `${where}${message}`, raw: this.raw(fields), ...(key ? { key } : {}) };
  }

  /** The key fields a rejected record gives readably (each converted as for a row), or undefined. */
  private keyOf(fields: readonly string[]): Record<string, string> | undefined {
    let key: Record<string, string> | undefined;
    for (const position of this.keyPositions) {
      const text = fields[this.canonicalIndexes[position] as number];
      const converted = text === undefined ? null : (this.canonicalConverters[position] as ValueConverter)(text);
      if (typeof converted === 'string' && !isBlankText(converted)) (key ??= {})[this.canonicalFields[position] as string] = converted;
    }
    return key;
  }

  /** The record as CSV text again (quotes only where needed), for the errors report. */
  private raw(fields: readonly string[]): string {
    return fields.map((field) => (this.quote.test(field) ? `"${field.replace(/"/g, '""')}"` : field)).join(this.delimiter);
  }
}

export async function* parseCsv(text: DecodedText, context: CsvContext): AsyncGenerator<ParsedBatch> {
  const { batch } = context;
  const setting = context.resolved.mapping?.delimiter;
  const scores = setting === undefined ? delimiterScores(text.sample, text.complete) : undefined;
  const delimiterChoice: DelimiterChoice = { delimiter: setting ?? bestDelimiter(scores ?? new Map()), scores };
  const delimiter = delimiterChoice.delimiter;
  const blocks = readCsvRecords(text.chunks, delimiter, detectRecordDelimiter(text.sample, delimiter, text.complete));

  let headers: string[] | undefined;
  let converter: CsvRecordConverter | undefined;
  let nextLine = 1;
  // Whether lines of only spaces or empty fields came before the header (or made up the whole file).
  let onlySpaces = false;
  const sample: { fields: string[]; line: number; endLine: number }[] = [];

  /** Converts one record into the batch; true when the batch is full (a plain function: no generator per record). */
  const consume = (fields: string[], line: number, endLine: number): boolean => {
    batch.recordsRead += 1;
    batch.lastLine = endLine;
    if (batch.recordsRead <= context.skipRecords) return false;
    const result = (converter as CsvRecordConverter).convert(fields, line);
    if ('reasonCode' in result) batch.rejects.push(result);
    else batch.rows.push(result);
    return batch.full;
  };

  try {
    for await (const { records, lines } of blocks) {
      nextLine = lines[records.length] as number;
      for (let i = 0; i < records.length; i += 1) {
        const record = records[i] as string[];
        const line = lines[i] as number;
        const endLine = (lines[i + 1] as number) - 1;
        if (isBlankLine(record)) continue;
        if (converter !== undefined) {
          if (consume(record, line, endLine)) yield batch.take();
          continue;
        }
        if (headers === undefined) {
          if (isSpacesOnly(record)) {
            onlySpaces = true;
            continue;
          }
          headers = record;
          batch.lastLine = endLine;
          continue;
        }
        sample.push({ fields: record, line, endLine });
        if (sample.length < SAMPLE_RECORDS) continue;
        converter = new CsvRecordConverter(context.entity, headers, context.resolved, sample.map((s) => s.fields), delimiterChoice, context.zone);
        batch.fieldColumns = converter.fieldColumns;
        for (const held of sample.splice(0)) if (consume(held.fields, held.line, held.endLine)) yield batch.take();
      }
    }
  } catch (error) {
    // Only csv-parse's own errors (codes CSV_*) mean malformed text; a failing input stream (storage,
    // network) keeps its error so the caller can retry.
    const { code, lines, recordLine, index } = error as { code?: unknown; lines?: number; recordLine?: number; index?: number };
    if (!(typeof code === 'string' && code.startsWith('CSV_'))) throw error;
    if (code === 'CSV_QUOTE_NOT_CLOSED' && recordLine !== undefined) {
      const field = index === undefined ? '' : ` (its field ${index + 1})`;
      throw new ParseError(
        'malformed_csv',
        `The CSV text cannot be read: the record on line ${recordLine} opens a quote${field} that is never closed, so the rest of the file would be one value. ` +
          'Close the quote (a quote inside a quoted value is written twice: "").',
        { cause: error },
      );
    }
    throw new ParseError(
      'malformed_csv',
      `The CSV text cannot be read${recordLine === undefined ? (lines === undefined ? '' : ` near line ${lines}`) : ` in the record on line ${recordLine}`}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (headers === undefined) {
    const what = onlySpaces ? 'The file is empty (only blank lines, spaces or empty fields)' : 'The file is empty';
    throw new ParseError('empty_file', `${what}: a CSV import needs at least a header line.`);
  }
  if (converter === undefined) {
    converter = new CsvRecordConverter(context.entity, headers, context.resolved, sample.map((s) => s.fields), delimiterChoice, context.zone);
    batch.fieldColumns = converter.fieldColumns;
    for (const held of sample.splice(0)) if (consume(held.fields, held.line, held.endLine)) yield batch.take();
  }
  batch.lastLine = nextLine - 1;
}
