import { parse } from 'csv-parse';
import Papa from 'papaparse';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CsvDelimiter } from './delimiter-detection';

/** How records end: csv-parse's rule, the first line break outside quotes decides for the whole file. */
export type RecordDelimiter = '\r\n' | '\n' | '\r';

/** Records read from one piece of text, with the physical lines they start on. */
export interface CsvRecordBlock {
  readonly records: string[][];
  /** `lines[i]` is the line where `records[i]` starts; `lines[records.length]` the line after the last one. */
  readonly lines: number[];
}

/**
 * The file's record delimiter, found like csv-parse's auto-discovery: the first CR, LF or CRLF that is not
 * inside a quoted field (a quote opens one only at the start of a field). A sample without any is one
 * line: `\n` then (it never matters). A sample that ends on a CR, when more text follows, is taken as CRLF.
 */
export function detectRecordDelimiter(sample: string, delimiter: CsvDelimiter, complete: boolean): RecordDelimiter {
  let fieldStart = true;
  for (let at = 0; at < sample.length; at += 1) {
    const char = sample[at];
    if (fieldStart && char === '"') {
      // Skip the quoted part: a doubled quote is text, the next single quote closes it.
      let close = sample.indexOf('"', at + 1);
      while (close !== -1 && sample[close + 1] === '"') close = sample.indexOf('"', close + 2);
      if (close === -1) return '\n';
      at = close;
      fieldStart = false;
    } else if (char === '\r') {
      if (at + 1 === sample.length && !complete) return '\r\n';
      return sample[at + 1] === '\n' ? '\r\n' : '\r';
    } else if (char === '\n') {
      return '\n';
    } else {
      fieldStart = char === delimiter;
    }
  }
  return '\n';
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Text Papa Parse reads differently from csv-parse without reporting an error: a quote followed by
 * whitespace (String#trim's, other than the delimiter and the record delimiter) and then the delimiter or
 * the record delimiter. Papa Parse drops the whitespace and ends a quoted field there; csv-parse reads the
 * field as text, quotes included (`"ab" ,c` -> `"ab" `). A match anywhere sends the text to csv-parse (a
 * doubled quote inside a quoted field can match too: only speed is lost then).
 */
function acceptedSpacesAfterQuote(delimiter: CsvDelimiter, recordDelimiter: RecordDelimiter): RegExp {
  const end = `(?:${escapeRegExp(delimiter)}|${recordDelimiter === '\r\n' ? '\\r\\n' : recordDelimiter === '\r' ? '\\r' : '\\n'})`;
  const tab = delimiter === '\t' ? '\\t' : '';
  // Whitespace up to the first delimiter or record delimiter: with CRLF records a lone CR or LF is whitespace.
  const space = recordDelimiter === '\r\n' ? `(?:[^\\S\\r${tab}]|\\r(?!\\n))` : `[^\\S${recordDelimiter === '\r' ? '\\r' : '\\n'}${tab}]`;
  return new RegExp(`"${space}+${end}`);
}

/**
 * Records of decoded CSV text, in one block per input chunk.
 *
 * Papa Parse tokenises (3-4x faster than csv-parse on our files: it finds delimiters with indexOf over
 * strings instead of walking bytes). The rules stay csv-parse's (README "CSV"), which Papa Parse agrees
 * with on well-formed text. Where the two read malformed quoting differently (a closing quote followed by
 * spaces and then a delimiter or line break, which Papa Parse accepts and csv-parse reads as text; text
 * after a closing quote; an unclosed quote), Papa Parse reports an error or the text matches
 * acceptedSpacesAfterQuote, and csv-parse reads the rest of the file from that chunk's first record on, so
 * the outcome (records, or the `CSV_*` error with its line) is csv-parse's own.
 */
export async function* readCsvRecords(
  chunks: AsyncIterable<Buffer | string>,
  delimiter: CsvDelimiter,
  recordDelimiter: RecordDelimiter,
): AsyncGenerator<CsvRecordBlock> {
  const papa = new Papa.Parser({ delimiter, newline: recordDelimiter, quoteChar: '"' });
  const suspicious = acceptedSpacesAfterQuote(delimiter, recordDelimiter);
  const iterator = chunks[Symbol.asyncIterator]();
  // Text not yet read into records (a record cut by a chunk's end), as pieces joined when parsed.
  let pending: string[] = [];
  let pendingLength = 0;
  // A record longer than a chunk is parsed again only once its text has doubled: linear, not quadratic,
  // in the length of a huge quoted field.
  let parseAtLength = 0;
  let nextLine = 1;
  // Lines as csv-parse counts them in its error messages: every CR or LF character, except that a CRLF
  // ending a record counts once.
  let csvParseLines = 0;
  let ended = false;
  // Whether `pending` holds chunks not yet parsed: at the end they are parsed like any chunk first, so
  // that the final parse (the only one that keeps an unterminated last record) sees that record alone.
  let unparsed = false;
  for (;;) {
    if (!ended) {
      const next = await iterator.next();
      if (next.done === true) {
        ended = true;
      } else {
        const chunk = textOf(next.value);
        pending.push(chunk);
        pendingLength += chunk.length;
        unparsed = true;
        if (pendingLength === 0 || pendingLength < parseAtLength) continue;
      }
    }
    const text = pending.length === 1 ? (pending[0] as string) : pending.join('');
    if (text === '') return;
    const last = ended && !unparsed;
    unparsed = false;
    if (suspicious.test(text)) {
      yield* readWithCsvParse(text, iterator, delimiter, recordDelimiter, nextLine, csvParseLines);
      return;
    }
    // ignoreLastRow (all chunks but the last): the record cut by the chunk's end is left for the next one.
    const result = papa.parse(text, 0, !last) as { data: string[][]; errors: Papa.ParseError[]; meta: { cursor: number } };
    if (result.errors.length > 0) {
      yield* readWithCsvParse(text, iterator, delimiter, recordDelimiter, nextLine, csvParseLines);
      return;
    }
    const records = result.data;
    const lines = new Array<number>(records.length + 1);
    for (let i = 0; i < records.length; i += 1) {
      lines[i] = nextLine;
      nextLine += linesSpanned(records[i] as string[]);
    }
    lines[records.length] = nextLine;
    if (records.length > 0) yield { records, lines };
    if (last) return;
    csvParseLines += countLineBreaks(text, result.meta.cursor) - (recordDelimiter === '\r\n' ? records.length : 0);
    const rest = text.slice(result.meta.cursor);
    pending = rest === '' ? [] : [rest];
    pendingLength = rest.length;
    parseAtLength = result.meta.cursor === 0 ? 2 * text.length : 0;
  }
}

function countLineBreaks(text: string, end: number): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < end; at = text.indexOf('\n', at + 1)) count += 1;
  for (let at = text.indexOf('\r'); at !== -1 && at < end; at = text.indexOf('\r', at + 1)) count += 1;
  return count;
}

/** Lines a record spans: one, plus the line breaks inside its quoted fields. */
function linesSpanned(fields: readonly string[]): number {
  let lines = 1;
  for (let i = 0; i < fields.length; i += 1) {
    const field = fields[i] as string;
    for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) lines += 1;
  }
  return lines;
}

// UTF-8 chunks arrive as validated bytes ending on character boundaries (text-decoding.ts).
const textOf = (chunk: Buffer | string): string => (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));

const FALLBACK_BLOCK = 1000;

/**
 * The rest of the file (from `text`, which starts at a record boundary on line `startLine`, after what
 * csv-parse would count as `csvParseLines` lines) through csv-parse. It is first given as many empty
 * records, which it counts as that many lines, and they are dropped: the line in its error messages is
 * the one it would give reading the whole file.
 */
async function* readWithCsvParse(
  text: string,
  rest: AsyncIterator<Buffer | string>,
  delimiter: CsvDelimiter,
  recordDelimiter: RecordDelimiter,
  startLine: number,
  csvParseLines: number,
): AsyncGenerator<CsvRecordBlock> {
  // relax_column_count: a record with the wrong number of fields becomes a reject, not a fatal error.
  // relax_quotes: a quote inside an unquoted field (`5" screen`) is text.
  const parser = parse({ delimiter, record_delimiter: recordDelimiter, relax_column_count: true, relax_quotes: true });
  const padding = recordDelimiter.repeat(csvParseLines);
  let paddingRecords = csvParseLines;
  async function* source(): AsyncGenerator<string> {
    if (padding !== '') yield padding;
    yield text;
    for (;;) {
      const next = await rest.next();
      if (next.done === true) return;
      yield textOf(next.value);
    }
  }
  const feeding = pipeline(Readable.from(source(), { objectMode: false }), parser);
  // The pipeline's failure is reported through the iteration below; keep it from being unhandled.
  feeding.catch(() => undefined);
  let nextLine = startLine;
  let block: CsvRecordBlock = { records: [], lines: [] };
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (paddingRecords > 0) {
        paddingRecords -= 1;
        continue;
      }
      block.records.push(record);
      block.lines.push(nextLine);
      nextLine += linesSpanned(record);
      if (block.records.length === FALLBACK_BLOCK) {
        block.lines.push(nextLine);
        yield block;
        block = { records: [], lines: [] };
      }
    }
  } catch (error) {
    // csv-parse's line is where it stopped reading (the end of the file, for an unclosed quote); the
    // record it could not finish starts after the last one it gave: that line is the one to look at.
    if (typeof error === 'object' && error !== null && String((error as { code?: unknown }).code).startsWith('CSV_')) {
      Object.assign(error, { recordLine: nextLine });
    }
    throw error;
  }
  await feeding;
  block.lines.push(nextLine);
  if (block.records.length > 0) yield block;
}
