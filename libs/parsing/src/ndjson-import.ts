import { CANONICAL_ENTITY_SPECS, type CanonicalEntity, type CanonicalField, type ImportColumnMapping } from '@pulse/contracts';
import { isUtf8 } from 'node:buffer';
import type { BatchBuilder } from './batch-builder';
import {
  SAMPLE_RECORDS,
  canonicalColumnConverter,
  constantValues,
  customColumnOf,
  customKeyTooLong,
  decideLocale,
  targetsOf,
  type ColumnTarget,
  type CustomColumn,
  type ResolvedMapping,
} from './column-plan';
import type { CustomSample } from './custom-columns';
import { normalizeHeader, uniqueName } from './header-names';
import { indexedTextChecks, tooLongForIndex, tooLongMessage, type IndexedTextCheck } from './indexed-text';
import { exactJsonValue, longNumberTokens } from './json-number-tokens';
import { exactNumberOf, plainNumberText } from './number-formats';
import type { CanonicalRow, JsonValue, ParsedBatch, RowRejection } from './parse-types';
import { ParseError } from './parse-error';
import { firstInvalidUtf8, type DecodedText } from './text-decoding';
import { hasUnpairedSurrogate } from './unpaired-surrogates';
import { isBlankText, isFailure, type ColumnLocale, type ValueConverter } from './value-converters';
import type { ZonedTime } from './zoned-time';

interface NdjsonContext {
  readonly entity: CanonicalEntity;
  readonly resolved: ResolvedMapping;
  readonly zone: ZonedTime;
  readonly skipRecords: number;
  readonly batch: BatchBuilder;
}

type JsonRecord = Record<string, unknown>;
/** Top-level key -> the value as written, where JSON.parse's value may not be exact (longNumberTokens). */
type NumberTokens = ReadonlyMap<string, string> | undefined;

/**
 * A JSON number as text: its shortest form (what JSON.stringify writes), or the token as written when a
 * JavaScript number does not hold it exactly (`12345678901234567890`).
 */
function numberText(value: number, token: string | undefined): string {
  return token !== undefined && exactNumberOf(token) === undefined ? token : String(value);
}

/**
 * An object or array as JSON.parse read it, or, when its text may hold a number a JavaScript number
 * changes, read again with every such number as its digits (a string, as top-level custom numbers are).
 */
function exactStructureOf(value: object, token: string | undefined): JsonValue {
  return token === undefined ? (value as JsonValue) : exactJsonValue(token);
}

/**
 * A JSON value as the text a CSV cell would hold, for the canonical converters. A JSON number is always
 * written with a dot: it becomes plain dot-decimal text (no exponent) and is never read in the tenant's
 * notation (the caller uses a dot converter for decimals); in a text field it is its JSON text. Objects
 * and arrays keep every digit of their numbers (exactStructureOf).
 */
function textOf(value: unknown, token: string | undefined, field: CanonicalField): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    const text = numberText(value, token);
    return field.type === 'decimal' || field.type === 'integer' || field.type === 'date' || field.type === 'timestamp' ? plainNumberText(text) : text;
  }
  if (typeof value === 'boolean') return String(value);
  const structure = exactStructureOf(value as object, token);
  if (Array.isArray(structure) && field.type === 'list') return structure.map(String).join('|');
  return JSON.stringify(structure);
}

/** A JSON number for `custom`: the number, or the token as written (text) when a JavaScript number changes it. */
function customNumberOf(value: number, token: string | undefined): number | string {
  if (token !== undefined) return exactNumberOf(token) ?? token;
  // Without a long token the digits are exact; only an exponent (`1e20`) can leave the safe integers.
  return Math.abs(value) <= Number.MAX_SAFE_INTEGER ? value : String(value);
}

/**
 * A JSON value for a custom key of the given type: values not of that type are kept as text; objects and
 * arrays are kept as JSON values (custom is stored as JSON), their numbers as top-level ones would be
 * (exactStructureOf: one a JavaScript number would change is its digits as text).
 */
function customOf(value: unknown, token: string | undefined, column: CustomColumn): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return column.convert(value);
  if (typeof value === 'number') {
    const number = customNumberOf(value, token);
    return column.type === 'number' || typeof number === 'string' ? number : String(value);
  }
  if (typeof value === 'boolean') return column.type === 'boolean' ? value : String(value);
  return exactStructureOf(value as object, token);
}

/** A JSON value as a type-inference sample (objects and arrays never fit a type, so they force `string`). */
function sampleOf(value: unknown, token: string | undefined): CustomSample {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return customNumberOf(value, token);
  return JSON.stringify(value);
}

interface CanonicalColumn {
  readonly field: CanonicalField;
  readonly convert: ValueConverter;
  /** For JSON numbers: decimals read with a dot whatever the column's or file's separator. */
  readonly convertNumber: ValueConverter;
}

const collisionMessage = (earlier: string, later: string, key: string): string =>
  `Keys "${earlier}" and "${later}" both go to custom.${key}; map one of them to another custom key, or leave it out with null.`;

/**
 * NDJSON records: keys are normalised like CSV headers and mapped the same way; within a record, a key
 * normalising to a name already taken gets `_2`, `_3`, ... (as duplicate CSV headers do). Unlike CSV,
 * which keys exist is known per record, so a missing required field is a row rejection, two keys the
 * mapping sends to one custom key reject the record, and a custom key first seen after the sample window
 * takes its type from its first value (in file order, whether that record is loaded, rejected or skipped
 * on resume: register()).
 */
class NdjsonRecordConverter {
  private readonly keyNames = new Map<string, string>();
  private readonly targets = new Map<string, ColumnTarget>();
  private readonly canonical = new Map<string, CanonicalColumn>();
  private readonly customColumns = new Map<string, CustomColumn>();
  private readonly constants: [string, string | null][];
  private readonly requiredFields: string[];
  private readonly mappedSources: Map<string, string>;
  /** Text the load writes into an index, which must fit one entry (indexed-text.ts). */
  private readonly indexedText: IndexedTextCheck[];
  /** Names taken in the record being read, and the key that wrote each custom key (reused per record). */
  private readonly namesInRecord = new Set<string>();
  private readonly ownNamesInRecord = new Set<string>();
  private readonly customKeySources = new Map<string, string>();
  /** Custom keys the mapping names, with their entries (own separator, date format, transforms). */
  private readonly customMappings = new Map<string, ImportColumnMapping>();

  constructor(
    private readonly entity: CanonicalEntity,
    private readonly resolved: ResolvedMapping,
    sample: readonly { record: JsonRecord; tokens: NumberTokens }[],
    private readonly locale: ColumnLocale,
  ) {
    // Mapping targets are fed by their source key whenever it is present; constants fill the rest.
    this.mappedSources = new Map();
    for (const [source, target] of resolved.columns) if (target !== null) this.mappedSources.set(target.field, source);
    for (const target of resolved.columns.values()) if (target?.field.startsWith('custom.')) this.customMappings.set(target.field.slice('custom.'.length), target);
    const customSamples = new Map<string, CustomSample[]>();
    for (const { record, tokens } of sample) {
      this.startRecord(record);
      for (const key of Object.keys(record)) {
        const target = this.targetOf(this.uniqueNameOf(key));
        if (target.kind === 'custom') {
          const values = customSamples.get(target.key) ?? [];
          values.push(sampleOf(record[key], tokens?.get(key)));
          customSamples.set(target.key, values);
        }
      }
    }
    for (const [key, values] of customSamples) this.customColumns.set(key, customColumnOf(values, locale, this.customMappings.get(key)));
    // A constant fills its field in the records that do not carry it (checked per record in convert).
    this.constants = [...constantValues(entity, resolved, new Set(), locale)];
    this.requiredFields = CANONICAL_ENTITY_SPECS[entity].fields.filter((field) => field.required).map((field) => field.name);
    this.indexedText = indexedTextChecks(entity, () => true);
  }

  private nameOf(key: string): string {
    let name = this.keyNames.get(key);
    if (name === undefined) {
      name = normalizeHeader(key);
      this.keyNames.set(key, name);
    }
    return name;
  }

  /** Starts naming a record's keys: none given yet, and each key's own name reserved (uniqueName). */
  private startRecord(record: JsonRecord): void {
    this.namesInRecord.clear();
    this.ownNamesInRecord.clear();
    for (const key in record) this.ownNamesInRecord.add(this.nameOf(key));
  }

  /** The key's normalised name, made unique within the record like normalizeHeaderRow does for a header. */
  private uniqueNameOf(key: string): string {
    const name = uniqueName(this.nameOf(key), this.namesInRecord, this.ownNamesInRecord);
    this.namesInRecord.add(name);
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

  private canonicalColumnOf(name: string, target: Extract<ColumnTarget, { kind: 'canonical' }>): CanonicalColumn {
    let column = this.canonical.get(name);
    if (column === undefined) {
      const convert = canonicalColumnConverter(target, this.locale);
      const dotMapping = { ...(target.columnMapping ?? { field: target.field.name }), decimalSeparator: '.' as const };
      const convertNumber = target.field.type === 'decimal' ? canonicalColumnConverter({ ...target, columnMapping: dotMapping }, this.locale) : convert;
      column = { field: target.field, convert, convertNumber };
      this.canonical.set(name, column);
    }
    return column;
  }

  /** The custom key's column; a key not in the sample is typed by this, its first value. */
  private customColumnFor(key: string, value: unknown, token: string | undefined): CustomColumn {
    let column = this.customColumns.get(key);
    if (column === undefined) {
      column = customColumnOf([sampleOf(value, token)], this.locale, this.customMappings.get(key));
      this.customColumns.set(key, column);
    }
    return column;
  }

  /** Registers the custom keys of `keys[from..]` (continuing the record's naming), as convert would. */
  private registerKeys(record: JsonRecord, keys: readonly string[], from: number, tokens: NumberTokens): void {
    for (let i = from; i < keys.length; i += 1) {
      const key = keys[i] as string;
      const target = this.targetOf(this.uniqueNameOf(key));
      if (target.kind === 'custom') this.customColumnFor(target.key, record[key], tokens?.get(key));
    }
  }

  /** A record skipped on resume: not converted, but its new custom keys are typed as in a full run. */
  register(record: JsonRecord, tokens: NumberTokens): void {
    this.startRecord(record);
    this.registerKeys(record, Object.keys(record), 0, tokens);
  }

  convert(record: JsonRecord, line: number, raw: string, tokens: NumberTokens): CanonicalRow | RowRejection {
    const values: Record<string, string | null> = {};
    const custom: Record<string, JsonValue> = {};
    const columnOfField = new Map<string, string>();
    const keys = Object.keys(record);
    this.startRecord(record);
    this.customKeySources.clear();
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i] as string;
      const name = this.uniqueNameOf(key);
      const target = this.targetOf(name);
      const value = record[key];
      if (target.kind === 'canonical') {
        const column = this.canonicalColumnOf(name, target);
        const token = tokens?.get(key);
        const text = textOf(value, token, column.field);
        const converted = (typeof value === 'number' ? column.convertNumber : column.convert)(text);
        if (isFailure(converted)) {
          // The rest of the record's keys still register, so types do not depend on which rows fail.
          this.registerKeys(record, keys, i + 1, tokens);
          const written = token ?? JSON.stringify(value);
          return this.withKey(record, tokens, { line, column: key, reasonCode: converted.reasonCode, message: `Field "${key}": ${written} is not valid: expected ${converted.expected}.`, raw });
        }
        values[column.field.name] = converted;
        columnOfField.set(column.field.name, key);
      } else if (target.kind === 'custom') {
        if (this.nameOf(key) === '') {
          // CSV names such a column by its position; a record's keys have none that holds across records.
          this.registerKeys(record, keys, i + 1, tokens);
          return this.withKey(record, tokens, { line, column: key, reasonCode: 'invalid_value', message: `Key "${key}" has no letters or digits to name a custom field by; rename it in the export.`, raw });
        }
        const earlier = this.customKeySources.get(target.key);
        if (earlier !== undefined) {
          this.registerKeys(record, keys, i + 1, tokens);
          return this.withKey(record, tokens, { line, column: key, reasonCode: 'invalid_value', message: collisionMessage(earlier, key, target.key), raw });
        }
        const tooLong = customKeyTooLong(target.key, key);
        if (tooLong) {
          this.registerKeys(record, keys, i + 1, tokens);
          return this.withKey(record, tokens, { line, column: key, reasonCode: 'too_long', message: `Key ${tooLong}`, raw });
        }
        this.customKeySources.set(target.key, key);
        const token = tokens?.get(key);
        custom[target.key] = customOf(value, token, this.customColumnFor(target.key, value, token));
      }
    }
    for (const [field, value] of this.constants) if (!(field in values)) values[field] = value;
    for (const field of this.requiredFields) {
      const value = values[field];
      if (value === null || value === undefined || isBlankText(value)) {
        const column = columnOfField.get(field) ?? this.mappedSources.get(field) ?? field;
        return this.withKey(record, tokens, { line, column, reasonCode: 'missing_required', message: `Field "${column}": ${field} is required but the value is missing or empty.`, raw });
      }
    }
    const tooLong = tooLongForIndex(values, this.indexedText);
    if (tooLong) {
      const columnOf = (field: string) => columnOfField.get(field) ?? this.mappedSources.get(field) ?? field;
      return this.withKey(record, tokens, { line, column: columnOf(tooLong.field), reasonCode: 'too_long', message: tooLongMessage(tooLong, columnOf, 'Field'), raw });
    }
    return { line, values, custom };
  }

  /** The rejection with the entity's key fields the record gives readably (RowRejection.key), if any. */
  private withKey(record: JsonRecord, tokens: NumberTokens, rejection: RowRejection): RowRejection {
    const keyFields = CANONICAL_ENTITY_SPECS[this.entity].key;
    let key: Record<string, string> | undefined;
    this.startRecord(record);
    for (const name of Object.keys(record)) {
      const unique = this.uniqueNameOf(name);
      const target = this.targetOf(unique);
      if (target.kind !== 'canonical' || !keyFields.includes(target.field.name)) continue;
      const value = record[name];
      const column = this.canonicalColumnOf(unique, target);
      const converted = (typeof value === 'number' ? column.convertNumber : column.convert)(textOf(value, tokens?.get(name), column.field));
      if (typeof converted === 'string' && !isBlankText(converted)) (key ??= {})[target.field.name] = converted;
    }
    return key ? { ...rejection, key } : rejection;
  }
}

const UNPAIRED_SURROGATE_MESSAGE =
  'The line has a UTF-16 surrogate escape without its pair (such as \\ud800 alone), which is no character: it cannot be stored as written. Write the character itself, or its escaped pair.';

/** A line that is not UTF-8: rejected as `invalid_encoding`, shown with its bad bytes as `\xHH`. */
interface NotUtf8Line {
  readonly shown: string;
  readonly message: string;
  /** The line decoded with U+FFFD for its bad bytes: only to tell whether it is complete JSON (truncatedFileError). */
  readonly lossy: string;
}

/** The line's text, or why it is not UTF-8 (the first bad byte and where it is in the line). */
function decodeLine(bytes: Buffer): string | NotUtf8Line {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const at = firstInvalidUtf8(bytes);
  return {
    shown: showBadBytes(bytes),
    lossy: bytes.toString('utf8'),
    message:
      `The line is not valid UTF-8: byte 0x${(bytes[at] as number).toString(16).toUpperCase().padStart(2, '0')} at byte ${at + 1} of the line is not part of a UTF-8 character. ` +
      'NDJSON is UTF-8; set the import encoding to windows-1252 if the whole file is Windows-1252 (Latin-1).',
  };
}

/** The bytes as text, each byte that is not part of a UTF-8 character written `\xHH`. */
function showBadBytes(bytes: Buffer): string {
  let shown = '';
  let start = 0;
  while (start < bytes.length) {
    const bad = firstInvalidUtf8(bytes.subarray(start)) + start;
    shown += bytes.subarray(start, bad).toString('utf8');
    if (bad >= bytes.length) break;
    shown += `\\x${(bytes[bad] as number).toString(16).toUpperCase().padStart(2, '0')}`;
    start = bad + 1;
  }
  return shown;
}

/** Whether the file's last line lacks its `\n`: set by textLines just before it gives that line. */
interface FileEnd {
  unterminated: boolean;
}

/**
 * Lines of the file, without their `\n` (the last line may lack one: `end.unterminated`). Windows-1252 files come decoded
 * (strings); UTF-8 files as bytes, which are split at LF bytes (never part of a multi-byte character) and
 * checked: a chunk's whole lines at once (simdutf), and line by line only when that fails, so a line that
 * is not UTF-8 is rejected on its own instead of failing the file.
 */
async function* textLines(chunks: AsyncGenerator<Buffer | string>, end: FileEnd): AsyncGenerator<string | NotUtf8Line> {
  let rest = '';
  let pending: Buffer[] = [];
  for await (const chunk of chunks) {
    if (typeof chunk === 'string') {
      const text = rest + chunk;
      let start = 0;
      for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
        yield text.slice(start, end);
        start = end + 1;
      }
      rest = text.slice(start);
      continue;
    }
    const firstEnd = chunk.indexOf(0x0a);
    if (firstEnd === -1) {
      pending.push(chunk);
      continue;
    }
    yield decodeLine(pending.length === 0 ? chunk.subarray(0, firstEnd) : Buffer.concat([...pending, chunk.subarray(0, firstEnd)]));
    pending = [];
    const lastEnd = chunk.lastIndexOf(0x0a);
    if (lastEnd > firstEnd) {
      const whole = chunk.subarray(firstEnd + 1, lastEnd);
      if (isUtf8(whole)) {
        const text = whole.toString('utf8');
        let start = 0;
        for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
          yield text.slice(start, end);
          start = end + 1;
        }
        yield text.slice(start);
      } else {
        let start = 0;
        for (let end = whole.indexOf(0x0a, start); end !== -1; end = whole.indexOf(0x0a, start)) {
          yield decodeLine(whole.subarray(start, end));
          start = end + 1;
        }
        yield decodeLine(whole.subarray(start));
      }
    }
    if (lastEnd + 1 < chunk.length) pending.push(chunk.subarray(lastEnd + 1));
  }
  end.unterminated = rest !== '' || pending.length > 0;
  if (rest !== '') yield rest;
  if (pending.length > 0) yield decodeLine(Buffer.concat(pending));
}

/**
 * A last line without its newline that is not complete JSON is how an interrupted export or upload ends
 * (`{"external_id":"T0002","name":"tw`). Rejecting that line alone would load the rest as if it were the
 * whole file, and a replace would delete the record it cut off (and what cascades from it): the file
 * fails instead, as CSV does for a quote left open at its end.
 */
function truncatedFileError(line: number): ParseError {
  return new ParseError(
    'truncated_file',
    `The last line (line ${line}) ends without a newline and is not complete JSON: the file looks truncated (an interrupted export or upload), so nothing was loaded. ` +
      'Export the whole file again; if that line is really written so, end it with a newline and it is rejected alone.',
  );
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export async function* parseNdjson(text: DecodedText, context: NdjsonContext): AsyncGenerator<ParsedBatch> {
  const { batch } = context;
  const sample: { record: JsonRecord | undefined; tokens: NumberTokens; line: number; raw: string; notUtf8: string | undefined }[] = [];
  let converter: NdjsonRecordConverter | undefined;
  let line = 0;

  /** Converts one record into the batch (`notUtf8`: why its line is not text, UTF-8 or a surrogate alone; it then has no record); true when the batch is full. */
  const consume = (record: JsonRecord | undefined, tokens: NumberTokens, at: number, raw: string, notUtf8: string | undefined): boolean => {
    batch.recordsRead += 1;
    batch.lastLine = at;
    if (batch.recordsRead <= context.skipRecords) {
      if (record !== undefined) (converter as NdjsonRecordConverter).register(record, tokens);
      return false;
    }
    if (record === undefined) {
      const reasonCode = notUtf8 === undefined ? 'invalid_json' : 'invalid_encoding';
      batch.rejects.push({ line: at, column: null, reasonCode, message: notUtf8 ?? 'The line is not a JSON object.', raw });
    } else {
      const result = (converter as NdjsonRecordConverter).convert(record, at, raw, tokens);
      if ('reasonCode' in result) batch.rejects.push(result);
      else batch.rows.push(result);
    }
    return batch.full;
  };
  const build = (): NdjsonRecordConverter => {
    const records = sample.flatMap((held) => (held.record === undefined ? [] : [{ record: held.record, tokens: held.tokens }]));
    // Keys whose mapping sets their own date format do not vote on the file's (decimals: a dot by default).
    const dates: string[] = [];
    for (const { record } of records) {
      for (const [key, value] of Object.entries(record)) {
        if (typeof value === 'string' && context.resolved.columns.get(normalizeHeader(key))?.dateFormat === undefined) dates.push(value);
      }
    }
    const locale = decideLocale(context.resolved, { numbers: [], dates }, undefined, context.zone, context.resolved.mapping?.locale?.decimalSeparator ?? '.');
    // Mapped keys as the mapping writes them; other keys are named by their field (records may spell them differently).
    const fieldColumns: Record<string, string> = {};
    for (const [name, target] of context.resolved.columns) {
      if (target !== null && !target.field.startsWith('custom.')) fieldColumns[target.field] = context.resolved.sources.get(name) ?? name;
    }
    batch.fieldColumns = fieldColumns;
    return new NdjsonRecordConverter(context.entity, context.resolved, records, locale);
  };

  const end: FileEnd = { unterminated: false };
  for await (const read of textLines(text.chunks, end)) {
    line += 1;
    const rawLine = typeof read === 'string' ? read : read.shown;
    const raw = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (raw.trim() === '') continue;
    let record: JsonRecord | undefined;
    const notUtf8 = typeof read === 'string' ? undefined : read.message;
    let notText = notUtf8;
    if (notText === undefined) {
      try {
        const parsed: unknown = JSON.parse(raw);
        record = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonRecord) : undefined;
      } catch {
        if (end.unterminated) throw truncatedFileError(line);
        record = undefined;
      }
      if (record !== undefined && hasUnpairedSurrogate(raw, record)) {
        record = undefined;
        notText = UNPAIRED_SURROGATE_MESSAGE;
      }
    }
    // A last line cut inside a multi-byte character is not UTF-8: truncated as well, unless it is JSON all the same.
    if (end.unterminated && typeof read !== 'string' && !isJson(read.lossy)) throw truncatedFileError(line);
    const tokens = record === undefined ? undefined : longNumberTokens(raw);
    if (converter === undefined) {
      sample.push({ record, tokens, line, raw, notUtf8: notText });
      if (sample.length < SAMPLE_RECORDS) continue;
      converter = build();
      for (const held of sample.splice(0)) if (consume(held.record, held.tokens, held.line, held.raw, held.notUtf8)) yield batch.take();
      continue;
    }
    if (consume(record, tokens, line, raw, notText)) yield batch.take();
  }
  if (converter === undefined) {
    converter = build();
    for (const held of sample.splice(0)) if (consume(held.record, held.tokens, held.line, held.raw, held.notUtf8)) yield batch.take();
  }
  batch.lastLine = line;
}
