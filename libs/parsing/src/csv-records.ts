import { parse } from 'csv-parse';
import Papa from 'papaparse';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CsvDelimiter } from './delimiter-detection';

/** A line break: every one of them ends a record outside quotes (a CR followed by LF is one, CRLF). */
export type RecordDelimiter = '\r\n' | '\n' | '\r';

/** csv-parse's record delimiters, CRLF first so that a CR followed by LF is one line break. */
const LINE_BREAKS: RecordDelimiter[] = ['\r\n', '\n', '\r'];

/** Records read from one piece of text, with the physical lines they start on. */
export interface CsvRecordBlock {
  readonly records: string[][];
  /** `lines[i]` is the line where `records[i]` starts; `lines[records.length]` the line after the last one. */
  readonly lines: number[];
}

/**
 * The file's first line break outside quotes (a quote opens a quoted field only at the start of a field):
 * the one the reader expects first. Records end at every CRLF, LF and CR outside quotes, whichever the
 * first is; a file that keeps to this one is read fastest. A sample without any is one line: `\n` then.
 * A sample that ends on a CR, when more text follows, is taken as CRLF.
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
 * whitespace (String#trim's, other than the delimiter and line breaks) and then the delimiter or a line
 * break. Papa Parse drops the whitespace and ends a quoted field there; csv-parse reads the field as
 * text, quotes included (`"ab" ,c` -> `"ab" `). A match anywhere sends the text to csv-parse (a doubled
 * quote inside a quoted field can match too: only speed is lost then).
 */
function acceptedSpacesAfterQuote(delimiter: CsvDelimiter): RegExp {
  const tab = delimiter === '\t' ? '\\t' : '';
  return new RegExp(`"[^\\S\\r\\n${tab}]+(?:${escapeRegExp(delimiter)}|[\\r\\n])`);
}

/**
 * Whether every CR and LF of the text (inside quotes or not) is part of a `newline` line break: Papa
 * Parse, which ends records at one line break only, then reads the text by the rule. Two indexOf scans
 * at most, so a file that keeps to one line ending (the common case) pays nothing more.
 */
function keepsTo(text: string, newline: RecordDelimiter): boolean {
  if (newline === '\n') return text.indexOf('\r') === -1;
  if (newline === '\r') return text.indexOf('\n') === -1;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) if (text.charCodeAt(at - 1) !== 13) return false;
  for (let at = text.indexOf('\r'); at !== -1; at = text.indexOf('\r', at + 1)) if (text.charCodeAt(at + 1) !== 10) return false;
  return true;
}

/** Consecutive records ending with the same line break: the text up to `end` (just past the last one's). */
interface LineBreakRun {
  end: number;
  readonly newline: RecordDelimiter;
}

/**
 * The runs of record-ending line breaks of a text that starts at a record boundary: every CRLF, LF and CR
 * outside quotes, as Papa Parse and csv-parse tokenise (a quote opens a quoted field at the start of a
 * field only: first in the text or after a delimiter or line break; inside, a doubled quote is text and
 * the next single quote closes it). Only quotes and line breaks are looked at, with indexOf. Text after
 * the last line break (a record cut by the chunk's end, or one whose quote is not closed yet) is in no
 * run. Where quoting is malformed, Papa Parse reports an error or the text matches
 * acceptedSpacesAfterQuote, and csv-parse reads it instead.
 */
function lineBreakRuns(text: string, delimiter: CsvDelimiter): LineBreakRun[] {
  const runs: LineBreakRun[] = [];
  const delimiterCode = delimiter.charCodeAt(0);
  const opensField = (at: number): boolean => {
    if (at === 0) return true;
    const before = text.charCodeAt(at - 1);
    return before === delimiterCode || before === 13 || before === 10;
  };
  // The next CR and LF at or after the current position (-1: none), searched again only once passed.
  let nextCr = text.indexOf('\r');
  let nextLf = text.indexOf('\n');
  let at = 0;
  for (;;) {
    let open = text.indexOf('"', at);
    // A quote inside an unquoted field (`5" screen`) is text.
    while (open !== -1 && !opensField(open)) open = text.indexOf('"', open + 1);
    const unquotedEnd = open === -1 ? text.length : open;
    for (;;) {
      const lineBreak = nextCr === -1 ? nextLf : nextLf === -1 ? nextCr : Math.min(nextCr, nextLf);
      if (lineBreak === -1 || lineBreak >= unquotedEnd) break;
      const newline: RecordDelimiter = lineBreak === nextLf ? '\n' : text.charCodeAt(lineBreak + 1) === 10 ? '\r\n' : '\r';
      const end = lineBreak + newline.length;
      const run = runs[runs.length - 1];
      if (run !== undefined && run.newline === newline) run.end = end;
      else runs.push({ end, newline });
      if (nextCr !== -1 && nextCr < end) nextCr = text.indexOf('\r', end);
      if (nextLf !== -1 && nextLf < end) nextLf = text.indexOf('\n', end);
    }
    if (open === -1) break;
    let close = text.indexOf('"', open + 1);
    while (close !== -1 && text.charCodeAt(close + 1) === 34) close = text.indexOf('"', close + 2);
    if (close === -1) break;
    at = close + 1;
    if (nextCr !== -1 && nextCr < at) nextCr = text.indexOf('\r', at);
    if (nextLf !== -1 && nextLf < at) nextLf = text.indexOf('\n', at);
  }
  return runs;
}

/**
 * Which line-break characters inside a record's quoted fields count as lines (see linesSpanned); `none`:
 * the text has no quote, so every record is one line.
 */
type LineBreakCount = 'none' | 'lf' | 'cr' | 'any';

/** What Papa Parse read from one text: records, where it stopped, and whether it found malformed quoting. */
interface PapaRead {
  readonly records: string[][];
  readonly cursor: number;
  readonly failed: boolean;
}

/**
 * Records of decoded CSV text, in one block per input chunk. Every CRLF, LF and CR outside quotes ends a
 * record, in any mix in one file; line breaks inside quoted fields are data as written.
 *
 * Papa Parse tokenises (3-4x faster than csv-parse on our files: it finds delimiters with indexOf over
 * strings instead of walking bytes). It ends records at one line break, the one expected: first the
 * file's first (`firstLineBreak`), then the last one read. A text with another CR or LF (keepsTo) is split
 * into runs of records ending alike (lineBreakRuns), each read by Papa Parse with its own: quoted line
 * breaks of any kind leave a file in one run (Excel's LF inside CRLF records), a file whose line ending
 * changes once (a header from one tool, rows appended by another) costs a second Papa Parse call there.
 * The rules stay csv-parse's (README "CSV"), which Papa Parse agrees with on well-formed text. Where the
 * two read malformed quoting differently (a closing quote followed by spaces and then a delimiter or line
 * break, which Papa Parse accepts and csv-parse reads as text; text after a closing quote; an unclosed
 * quote), Papa Parse reports an error or the text matches acceptedSpacesAfterQuote, and csv-parse reads
 * the rest of the file from that chunk's first record on, so the outcome (records, or the `CSV_*` error
 * with its line) is csv-parse's own.
 */
export async function* readCsvRecords(
  chunks: AsyncIterable<Buffer | string>,
  delimiter: CsvDelimiter,
  firstLineBreak: RecordDelimiter,
): AsyncGenerator<CsvRecordBlock> {
  const parsers = new Map<RecordDelimiter, Papa.Parser>();
  const papaFor = (newline: RecordDelimiter): Papa.Parser => {
    let parser = parsers.get(newline);
    if (parser === undefined) {
      parser = new Papa.Parser({ delimiter, newline, quoteChar: '"' });
      parsers.set(newline, parser);
    }
    return parser;
  };
  const papaRead = (text: string, newline: RecordDelimiter, ignoreLastRow: boolean): PapaRead => {
    const result = papaFor(newline).parse(text, 0, ignoreLastRow) as { data: string[][]; errors: Papa.ParseError[]; meta: { cursor: number } };
    return { records: result.data, cursor: result.meta.cursor, failed: result.errors.length > 0 };
  };
  const suspicious = acceptedSpacesAfterQuote(delimiter);
  let expected = firstLineBreak;
  const iterator = chunks[Symbol.asyncIterator]();
  // Text not yet read into records (a record cut by a chunk's end), as pieces joined when parsed.
  let pending: string[] = [];
  let pendingLength = 0;
  // A record longer than a chunk is parsed again only once its text has doubled: linear, not quadratic,
  // in the length of a huge quoted field.
  let parseAtLength = 0;
  let nextLine = 1;
  // csv-parse counts a CRLF inside quotes as two lines in its error messages (every CR or LF character,
  // except that a CRLF ending a record counts once): its count is nextLine - 1 plus these.
  const quoted: QuotedCrlfs = { count: 0 };
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
      yield* readWithCsvParse(text, iterator, delimiter, nextLine, nextLine - 1 + quoted.count);
      return;
    }
    // A CR that ends the text may be the first half of a CRLF: its record waits for the next chunk.
    const input = !last && text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
    let read: PapaRead;
    const runs = keepsTo(input, expected) ? undefined : lineBreakRuns(input, delimiter);
    const counted: LineBreakCount = input.indexOf('"') === -1 ? 'none' : runs !== undefined ? lineBreakCount(input) : expected === '\r' ? 'cr' : 'lf';
    if (runs === undefined || runs.length === 0) {
      read = papaRead(input, expected, !last);
    } else {
      const records: string[][] = [];
      let failed = false;
      let cursor = 0;
      for (let i = 0; i < runs.length && !failed; i += 1) {
        const run = runs[i] as LineBreakRun;
        const final = i === runs.length - 1;
        // Each run but the last ends with its line break; the last one takes the text after it too.
        const part = papaRead(input.slice(cursor, final ? input.length : run.end), run.newline, final ? !last : true);
        for (let r = 0; r < part.records.length; r += 1) records.push(part.records[r] as string[]);
        failed = part.failed;
        cursor = final ? cursor + part.cursor : run.end;
      }
      read = { records, cursor, failed };
      expected = (runs[runs.length - 1] as LineBreakRun).newline;
    }
    if (read.failed) {
      yield* readWithCsvParse(text, iterator, delimiter, nextLine, nextLine - 1 + quoted.count);
      return;
    }
    const records = read.records;
    // After a line break that ends the file Papa Parse gives one more, empty, record; csv-parse does not
    // (the file's last CR waits for the end of the file, so the last text can end with one).
    const lastChar = text.charCodeAt(text.length - 1);
    if (last && (lastChar === 13 || lastChar === 10)) records.pop();
    const lines = new Array<number>(records.length + 1);
    if (counted === 'none') {
      for (let i = 0; i < records.length; i += 1) lines[i] = nextLine + i;
      nextLine += records.length;
    } else {
      for (let i = 0; i < records.length; i += 1) {
        lines[i] = nextLine;
        nextLine += linesSpanned(records[i] as string[], counted, quoted);
      }
    }
    lines[records.length] = nextLine;
    if (records.length > 0) yield { records, lines };
    if (last) return;
    const rest = text.slice(read.cursor);
    pending = rest === '' ? [] : [rest];
    pendingLength = rest.length;
    parseAtLength = read.cursor === 0 ? 2 * text.length : 0;
  }
}

/** How line breaks inside quoted fields of a text with more than one kind of line break are counted. */
function lineBreakCount(text: string): Exclude<LineBreakCount, 'none'> {
  if (text.indexOf('\n') === -1) return 'cr';
  for (let at = text.indexOf('\r'); at !== -1; at = text.indexOf('\r', at + 1)) if (text.charCodeAt(at + 1) !== 10) return 'any';
  // Every CR is part of a CRLF: counting LFs counts every line break once.
  return 'lf';
}

/** CRLFs met inside quoted fields (linesSpanned counts them). */
interface QuotedCrlfs {
  count: number;
}

/**
 * Lines a record spans: one, plus the line breaks inside its quoted fields, a CRLF counting once. Which
 * characters need looking for depends on the text: only LF where every CR is part of a CRLF (or there is
 * none), only CR where there is no LF, both in a text that mixes them.
 */
function linesSpanned(fields: readonly string[], counted: Exclude<LineBreakCount, 'none'>, quoted: QuotedCrlfs): number {
  let lines = 1;
  for (let i = 0; i < fields.length; i += 1) {
    const field = fields[i] as string;
    if (counted !== 'cr') {
      for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) {
        lines += 1;
        if (field.charCodeAt(at - 1) === 13) quoted.count += 1;
      }
    }
    if (counted !== 'lf') for (let at = field.indexOf('\r'); at !== -1; at = field.indexOf('\r', at + 1)) if (field.charCodeAt(at + 1) !== 10) lines += 1;
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
  startLine: number,
  csvParseLines: number,
): AsyncGenerator<CsvRecordBlock> {
  // relax_column_count: a record with the wrong number of fields becomes a reject, not a fatal error.
  // relax_quotes: a quote inside an unquoted field (`5" screen`) is text.
  const parser = parse({ delimiter, record_delimiter: LINE_BREAKS, relax_column_count: true, relax_quotes: true });
  const padding = '\n'.repeat(csvParseLines);
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
      nextLine += linesSpanned(record, 'any', { count: 0 });
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
