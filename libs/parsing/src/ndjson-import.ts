import { CANONICAL_ENTITY_SPECS, type CanonicalEntity, type CanonicalField } from '@pulse/contracts';
import type { BatchBuilder } from './batch-builder';
import {
  SAMPLE_RECORDS,
  canonicalColumnConverter,
  constantValues,
  customColumnOf,
  decideLocale,
  targetsOf,
  type ColumnTarget,
  type CustomColumn,
  type ResolvedMapping,
} from './column-plan';
import type { CustomValue } from './custom-columns';
import { normalizeHeader } from './header-names';
import type { CanonicalRow, ParsedBatch, RowRejection } from './parse-types';
import type { DecodedText } from './text-decoding';
import { isFailure, type ColumnLocale, type ValueConverter } from './value-converters';
import type { ZonedTime } from './zoned-time';

interface NdjsonContext {
  readonly entity: CanonicalEntity;
  readonly resolved: ResolvedMapping;
  readonly zone: ZonedTime;
  readonly skipRecords: number;
  readonly batch: BatchBuilder;
}

type JsonRecord = Record<string, unknown>;

/** A JSON value as the text a CSV cell would hold, for the canonical converters. */
function textOf(value: unknown, field: CanonicalField, separator: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return separator === ',' ? String(value).replace('.', ',') : String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && field.type === 'list') return value.map(String).join('|');
  return JSON.stringify(value);
}

/** A JSON value for a custom key of the given type; values not of that type are kept as text. */
function customOf(value: unknown, column: CustomColumn): CustomValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return column.convert(value);
  if (typeof value === 'number') return column.type === 'number' ? value : String(value);
  if (typeof value === 'boolean') return column.type === 'boolean' ? value : String(value);
  return JSON.stringify(value);
}

/** How a JSON value looks as text for type inference (objects never fit a type, so they force `string`). */
function sampleTextOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * NDJSON records: keys are normalised like CSV headers and mapped the same way. Unlike CSV, which keys
 * exist is known per record, so a missing required field is a row rejection, and a custom key first
 * seen after the sample window takes its type from its first value.
 */
class NdjsonRecordConverter {
  private readonly keyNames = new Map<string, string>();
  private readonly targets = new Map<string, ColumnTarget>();
  private readonly canonical = new Map<string, { field: CanonicalField; convert: ValueConverter }>();
  private readonly customColumns = new Map<string, CustomColumn>();
  private readonly constants: [string, string | null][];
  private readonly requiredFields: string[];
  private readonly mappedSources: Map<string, string>;

  constructor(
    private readonly entity: CanonicalEntity,
    private readonly resolved: ResolvedMapping,
    sample: readonly JsonRecord[],
    private readonly locale: ColumnLocale,
  ) {
    // Mapping targets are fed by their source key whenever it is present; constants fill the rest.
    this.mappedSources = new Map();
    for (const [source, target] of resolved.columns) if (target !== null) this.mappedSources.set(target.field, source);
    const customSamples = new Map<string, string[]>();
    for (const record of sample) {
      for (const [key, value] of Object.entries(record)) {
        const target = this.targetOf(this.nameOf(key));
        if (target.kind === 'custom') {
          const values = customSamples.get(target.key) ?? [];
          values.push(sampleTextOf(value));
          customSamples.set(target.key, values);
        }
      }
    }
    for (const [key, values] of customSamples) this.customColumns.set(key, customColumnOf(values, locale));
    // A constant fills its field in the records that do not carry it (checked per record in convert).
    this.constants = [...constantValues(entity, resolved, new Set(), locale)];
    this.requiredFields = CANONICAL_ENTITY_SPECS[entity].fields.filter((field) => field.required).map((field) => field.name);
  }

  private nameOf(key: string): string {
    let name = this.keyNames.get(key);
    if (name === undefined) {
      name = normalizeHeader(key);
      this.keyNames.set(key, name);
    }
    return name;
  }

  private targetOf(name: string): ColumnTarget {
    let target = this.targets.get(name);
    if (target === undefined) {
      target = targetsOf(this.entity, [name], this.resolved)[0] as ColumnTarget;
      // An auto-matched canonical key loses to a mapping that feeds the same field from another key.
      if (target.kind === 'canonical' && target.columnMapping === undefined && this.mappedSources.has(target.field.name)) {
        target = { kind: 'custom', key: name };
      }
      this.targets.set(name, target);
    }
    return target;
  }

  convert(record: JsonRecord, line: number, raw: string): CanonicalRow | RowRejection {
    const values: Record<string, string | null> = {};
    const custom: Record<string, CustomValue> = {};
    const columnOfField = new Map<string, string>();
    for (const key of Object.keys(record)) {
      const name = this.nameOf(key);
      const target = this.targetOf(name);
      const value = record[key];
      if (target.kind === 'canonical') {
        let column = this.canonical.get(name);
        if (column === undefined) {
          column = { field: target.field, convert: canonicalColumnConverter(target, this.locale) };
          this.canonical.set(name, column);
        }
        const text = textOf(value, column.field, this.locale.decimalSeparator);
        const converted = column.convert(text);
        if (isFailure(converted)) {
          return { line, column: key, reasonCode: converted.reasonCode, message: `Field "${key}": ${JSON.stringify(value)} is not valid: expected ${converted.expected}.`, raw };
        }
        values[column.field.name] = converted;
        columnOfField.set(column.field.name, key);
      } else if (target.kind === 'custom') {
        let column = this.customColumns.get(target.key);
        if (column === undefined) {
          column = customColumnOf([sampleTextOf(value)], this.locale);
          this.customColumns.set(target.key, column);
        }
        custom[target.key] = customOf(value, column);
      }
    }
    for (const [field, value] of this.constants) if (!(field in values)) values[field] = value;
    for (const field of this.requiredFields) {
      if (values[field] === null || values[field] === undefined) {
        const column = columnOfField.get(field) ?? this.mappedSources.get(field) ?? field;
        return { line, column, reasonCode: 'missing_required', message: `Field "${column}": ${field} is required but the value is missing or empty.`, raw };
      }
    }
    return { line, values, custom };
  }
}

/** Lines of the text stream, without their `\n` (the last line may lack one). */
async function* textLines(chunks: AsyncGenerator<Buffer | string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of chunks) {
    // Buffers end on character boundaries (text-decoding.ts), so each decodes on its own.
    const text = rest + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    let start = 0;
    for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
      yield text.slice(start, end);
      start = end + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') yield rest;
}

export async function* parseNdjson(text: DecodedText, context: NdjsonContext): AsyncGenerator<ParsedBatch> {
  const { batch } = context;
  const sample: { record: JsonRecord | undefined; line: number; raw: string }[] = [];
  let converter: NdjsonRecordConverter | undefined;
  let line = 0;

  /** Converts one record into the batch; true when the batch is full. */
  const consume = (record: JsonRecord | undefined, at: number, raw: string): boolean => {
    batch.recordsRead += 1;
    batch.lastLine = at;
    if (batch.recordsRead <= context.skipRecords) return false;
    if (record === undefined) {
      batch.rejects.push({ line: at, column: null, reasonCode: 'invalid_json', message: 'The line is not a JSON object.', raw });
    } else {
      const result = (converter as NdjsonRecordConverter).convert(record, at, raw);
      if ('reasonCode' in result) batch.rejects.push(result);
      else batch.rows.push(result);
    }
    return batch.full;
  };
  const build = (): NdjsonRecordConverter => {
    const records = sample.flatMap((held) => (held.record === undefined ? [] : [held.record]));
    const values: string[] = [];
    for (const record of records) for (const value of Object.values(record)) if (typeof value === 'string') values.push(value);
    const locale = decideLocale(context.resolved, values, undefined, context.zone, context.resolved.mapping?.locale?.decimalSeparator ?? '.');
    return new NdjsonRecordConverter(context.entity, context.resolved, records, locale);
  };

  for await (const rawLine of textLines(text.chunks)) {
    line += 1;
    const raw = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (raw.trim() === '') continue;
    let record: JsonRecord | undefined;
    try {
      const parsed: unknown = JSON.parse(raw);
      record = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonRecord) : undefined;
    } catch {
      record = undefined;
    }
    if (converter === undefined) {
      sample.push({ record, line, raw });
      if (sample.length < SAMPLE_RECORDS) continue;
      converter = build();
      for (const held of sample.splice(0)) if (consume(held.record, held.line, held.raw)) yield batch.take();
      continue;
    }
    if (consume(record, line, raw)) yield batch.take();
  }
  if (converter === undefined) {
    converter = build();
    for (const held of sample.splice(0)) if (consume(held.record, held.line, held.raw)) yield batch.take();
  }
  batch.lastLine = line;
}
