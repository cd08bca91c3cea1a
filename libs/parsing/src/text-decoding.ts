import iconv from 'iconv-lite';
import { isUtf8 } from 'node:buffer';
import { ParseError } from './parse-error';

export type FileEncoding = 'utf-8' | 'windows-1252';

/** Bytes read before deciding the encoding and the delimiter. */
export const SAMPLE_BYTES = 64 * 1024;

/** The mapping's `encoding` option. */
export type EncodingSetting = 'utf-8' | 'windows-1252' | 'latin1' | undefined;

/** Bytes Windows-1252 leaves undefined (iconv-lite would turn them into U+FFFD). */
const WINDOWS_1252_UNDEFINED = [0x81, 0x8d, 0x8f, 0x90, 0x9d] as const;

const hex = (byte: number): string => `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * Encoding rule: a UTF-16 byte-order mark is refused (`unknown_encoding`); a NUL byte in the sample means a
 * binary file (`unreadable_file`); a UTF-8 BOM or a sample that is valid UTF-8 means UTF-8 (BOM removed); a
 * sample with bytes that are not UTF-8 is Windows-1252 (the superset of Latin-1 that old Brazilian and
 * European systems write), unless it also holds valid multi-byte UTF-8 characters: a file in two encodings
 * (rows appended by two systems) cannot be decoded faithfully either way, so it fails (`invalid_encoding`,
 * naming the first byte that is not UTF-8 and the first UTF-8 character).
 */
export function detectEncoding(sample: Buffer, complete: boolean): FileEncoding {
  refuseBinary(sample);
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8';
  if (isUtf8(sample)) return 'utf-8';
  const scan = scanUtf8(sample, complete);
  // Only a character cut by the sample's end: still UTF-8.
  if (scan.firstInvalid === undefined) return 'utf-8';
  if (scan.firstMultiByte === undefined) return 'windows-1252';
  const invalid = scan.firstInvalid;
  const utf8 = scan.firstMultiByte;
  const lines = new LineCounter();
  throw mixedEncodings(
    { byte: sample[invalid] as number, offset: invalid, line: lines.lineAt(sample, invalid) },
    { text: sample.subarray(utf8.at, utf8.at + utf8.length).toString('utf8'), offset: utf8.at, line: lines.lineAt(sample, utf8.at) },
  );
}

/** The error of a file with bytes that are not UTF-8 (`notUtf8`) and a multi-byte UTF-8 character (`utf8`). */
function mixedEncodings(notUtf8: { byte: number; offset: number; line: number }, utf8: { text: string; offset: number; line: number }): ParseError {
  return new ParseError(
    'invalid_encoding',
    `The file mixes encodings: byte ${hex(notUtf8.byte)} at byte offset ${notUtf8.offset} (line ${notUtf8.line}) is not UTF-8, ` +
      `while "${utf8.text}" at byte offset ${utf8.offset} (line ${utf8.line}) is UTF-8. ` +
      'Save the whole file in one encoding (UTF-8), or, if all of it is Windows-1252 (Latin-1), set the import encoding to windows-1252.',
  );
}

/**
 * Length of the valid UTF-8 character at `at` (1 for ASCII), or 0 when the bytes there are not one
 * (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF); -1 when the buffer ends
 * inside a character that may yet be valid.
 */
function utf8CharLength(bytes: Buffer, at: number): number {
  const lead = bytes[at] as number;
  if (lead < 0x80) return 1;
  const length = sequenceLength(lead);
  if (length === 0) return 0;
  // The second byte's range depends on the lead (no overlong forms, no surrogates, nothing past U+10FFFF).
  const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
  const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
  for (let i = 1; i < length; i += 1) {
    if (at + i >= bytes.length) return -1;
    const byte = bytes[at + i] as number;
    if (i === 1 ? byte < low || byte > high : byte < 0x80 || byte > 0xbf) return 0;
  }
  return length;
}

/** Where a sample's first byte that is not UTF-8 and its first multi-byte UTF-8 character are. */
function scanUtf8(bytes: Buffer, complete: boolean): { firstInvalid?: number; firstMultiByte?: { at: number; length: number } } {
  let firstInvalid: number | undefined;
  let firstMultiByte: { at: number; length: number } | undefined;
  for (let at = 0; at < bytes.length; ) {
    const length = utf8CharLength(bytes, at);
    if (length === -1 && !complete) break;
    if (length > 1) firstMultiByte ??= { at, length };
    if (length <= 0) firstInvalid ??= at;
    if (firstInvalid !== undefined && firstMultiByte !== undefined) break;
    at += Math.max(length, 1);
  }
  return { ...(firstInvalid === undefined ? {} : { firstInvalid }), ...(firstMultiByte === undefined ? {} : { firstMultiByte }) };
}

/**
 * The first complete multi-byte UTF-8 character in `bytes`, if any. Only a lead byte (0xC2-0xF4) can
 * begin one, so the scan skips everything else.
 */
function firstMultiByteUtf8(bytes: Buffer): { at: number; length: number } | undefined {
  for (let at = 0; at < bytes.length; at += 1) {
    const byte = bytes[at] as number;
    if (byte < 0xc2 || byte > 0xf4) continue;
    const length = utf8CharLength(bytes, at);
    if (length > 1) return { at, length };
  }
  return undefined;
}

/** Offset of the first byte of `bytes` that does not begin a valid UTF-8 character (the buffer is known not to be UTF-8). */
export function firstInvalidUtf8(bytes: Buffer): number {
  for (let at = 0; at < bytes.length; ) {
    const length = utf8CharLength(bytes, at);
    if (length <= 0) return at;
    at += length;
  }
  return bytes.length;
}

/**
 * Physical lines of a file read chunk by chunk, as the readers count them: a line ends with LF, CRLF or
 * CR (line breaks inside quoted fields count too). Counting costs a scan per chunk (about 13 µs per 64 KiB).
 */
export class LineCounter {
  private line = 1;
  private afterCr = false;

  /** The line of `chunk[index]`, `chunk` being the chunk after those passed to advance. */
  lineAt(chunk: Buffer, index: number): number {
    return this.line + lineBreaks(chunk, index, this.afterCr);
  }

  advance(chunk: Buffer): void {
    this.line += lineBreaks(chunk, chunk.length, this.afterCr);
    if (chunk.length > 0) this.afterCr = chunk[chunk.length - 1] === 0x0d;
  }
}

function lineBreaks(chunk: Buffer, end: number, afterCr: boolean): number {
  let breaks = 0;
  for (let at = chunk.indexOf(0x0a); at !== -1 && at < end; at = chunk.indexOf(0x0a, at + 1)) breaks += 1;
  // A CRLF split between two chunks: its CR was counted with the chunk before.
  if (afterCr && end > 0 && chunk[0] === 0x0a) breaks -= 1;
  for (let at = chunk.indexOf(0x0d); at !== -1 && at < end; at = chunk.indexOf(0x0d, at + 1)) if (chunk[at + 1] !== 0x0a) breaks += 1;
  return breaks;
}

export interface DecodedText {
  readonly encoding: FileEncoding;
  /** The text of the sample (BOM removed), for delimiter detection. */
  readonly sample: string;
  /** Whether the sample is the whole file. */
  readonly complete: boolean;
  /**
   * The whole file, sample included, BOM removed. For CSV: valid UTF-8 bytes (every chunk ending on a
   * character boundary, so each decodes on its own) for UTF-8 files, checked with simdutf; decoded strings
   * for Windows-1252 files. For NDJSON in UTF-8: the bytes as read, unchecked and cut anywhere (the NDJSON
   * reader checks each line: a line that is not UTF-8 is rejected, not the file).
   */
  readonly chunks: AsyncGenerator<Buffer | string>;
}

/**
 * Reads the first SAMPLE_BYTES, decides the encoding (or uses the mapping's), and returns the file as a
 * stream of chunks. CSV: the encoding is detected (detectEncoding); a UTF-8 file with an invalid byte
 * after the sample, or a Windows-1252 file with a byte Windows-1252 does not define, fails as a whole
 * (`invalid_encoding`, naming the byte, its offset and its line) rather than loading replacement
 * characters. NDJSON is UTF-8 (RFC 8259) unless the mapping says Windows-1252: no detection.
 */
export async function decodeText(input: NodeJS.ReadableStream, setting: EncodingSetting, format: 'csv' | 'ndjson' = 'csv'): Promise<DecodedText> {
  const iterator = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const sampleChunks: Buffer[] = [];
  let sampleLength = 0;
  let complete = false;
  while (sampleLength < SAMPLE_BYTES) {
    const next = await iterator.next();
    if (next.done === true) {
      complete = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
    sampleChunks.push(chunk);
    sampleLength += chunk.length;
  }
  let sampleBytes = Buffer.concat(sampleChunks);
  // NDJSON is not guessed at (and a mixed sample is the NDJSON reader's to reject line by line).
  const detected = setting === undefined && format === 'csv' ? detectEncoding(sampleBytes, complete) : refuseBinary(sampleBytes);
  const encoding: FileEncoding = setting === undefined ? detected : setting === 'utf-8' ? 'utf-8' : 'windows-1252';
  let bom = 0;
  if (encoding === 'utf-8' && sampleBytes[0] === 0xef && sampleBytes[1] === 0xbb && sampleBytes[2] === 0xbf) {
    sampleBytes = sampleBytes.subarray(3);
    bom = 3;
  }
  const why = bom > 0 ? 'bom' : setting === undefined ? 'sample' : 'setting';
  // A detected Windows-1252 file is held to what decided it past the sample too: a UTF-8 character
  // there means rows in two encodings. One the mapping declares is read as declared.
  const notUtf8 = setting === undefined && encoding === 'windows-1252' ? { at: firstInvalidUtf8(sampleBytes), sample: sampleBytes } : undefined;
  const convert = encoding === 'windows-1252' ? windows1252Decoder(bom, notUtf8) : format === 'ndjson' ? (bytes: Buffer) => bytes : utf8Validator(bom, why);
  const first = convert(sampleBytes, complete);
  const sample = typeof first === 'string' ? first : first.toString('utf8');

  async function* chunks(): AsyncGenerator<Buffer | string> {
    if (first.length > 0) yield first;
    if (complete) return;
    for (;;) {
      const next = await iterator.next();
      const last = next.done === true;
      const bytes = last ? Buffer.alloc(0) : typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
      const converted = convert(bytes, last);
      if (converted.length > 0) yield converted;
      if (last) return;
    }
  }
  return { encoding, sample, complete, chunks: chunks() };
}

/** Refuses UTF-16 and binary files (every file: also those whose encoding is not detected). */
function refuseBinary(sample: Buffer): 'utf-8' {
  if ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff)) {
    throw new ParseError('unknown_encoding', 'The file is UTF-16; export it as UTF-8 (or Latin-1) text.');
  }
  if (sample.includes(0)) {
    if (looksUtf16(sample)) {
      throw new ParseError('unknown_encoding', 'The file looks like UTF-16 without a byte-order mark (every other byte is NUL); save it as UTF-8 (or Latin-1) text.');
    }
    throw new ParseError('unreadable_file', 'The file contains NUL bytes: it looks binary, not CSV or NDJSON text.');
  }
  return 'utf-8';
}

/** Byte pairs looked at by looksUtf16, and how many it needs. */
const UTF16_PAIRS = 1024;
const UTF16_MIN_PAIRS = 8;

/**
 * Whether the sample looks like UTF-16 text without a byte-order mark: in ASCII and Latin-1 text every
 * character has a NUL high byte, so (of the first 1024 byte pairs, at least 8) nearly all bytes on one
 * side of each pair are NUL (90 %: other scripts and € have none) and almost none on the other (2 %: a
 * NUL low byte is U+0000 or a rare letter such as U+0100). Binary files have NUL bytes on both sides.
 */
function looksUtf16(sample: Buffer): boolean {
  const pairs = Math.min(UTF16_PAIRS, Math.floor(sample.length / 2));
  if (pairs < UTF16_MIN_PAIRS) return false;
  let evenNul = 0;
  let oddNul = 0;
  for (let pair = 0; pair < pairs; pair += 1) {
    if (sample[2 * pair] === 0) evenNul += 1;
    if (sample[2 * pair + 1] === 0) oddNul += 1;
  }
  return Math.min(evenNul, oddNul) <= 0.02 * pairs && Math.max(evenNul, oddNul) >= 0.9 * pairs;
}

/**
 * Decodes Windows-1252 (iconv-lite, not TextDecoder: Node's TextDecoder maps 0x80-0x9F to C1 controls
 * instead of € “ ” etc.). The five bytes Windows-1252 leaves undefined fail the file instead of becoming
 * U+FFFD: such a file is in another encoding (or damaged), and its text would be loaded wrong. With
 * `detected` (the sample decided the encoding, at its byte `at` that is not UTF-8), a multi-byte UTF-8
 * character anywhere fails the file as in the sample (detectEncoding): `SÃ£o` would load otherwise.
 */
function windows1252Decoder(bom: number, detected: { at: number; sample: Buffer } | undefined): (bytes: Buffer, last: boolean) => string {
  const decoder = iconv.getDecoder('win1252');
  const lines = new LineCounter();
  let offset = bom;
  // The last bytes of the chunk before, for a UTF-8 character cut by the chunk boundary.
  let tail: Buffer = Buffer.alloc(0);
  return (bytes, last) => {
    if (detected) {
      const data = tail.length === 0 ? bytes : Buffer.concat([tail, bytes]);
      const utf8 = firstMultiByteUtf8(data);
      if (utf8 !== undefined) {
        throw mixedEncodings(
          { byte: detected.sample[detected.at] as number, offset: bom + detected.at, line: new LineCounter().lineAt(detected.sample, detected.at) },
          {
            text: data.subarray(utf8.at, utf8.at + utf8.length).toString('utf8'),
            offset: offset - tail.length + utf8.at,
            line: lines.lineAt(bytes, Math.max(0, utf8.at - tail.length)),
          },
        );
      }
      tail = Buffer.from(data.subarray(Math.max(0, data.length - 3)));
    }
    let undefinedAt = -1;
    for (const byte of WINDOWS_1252_UNDEFINED) {
      const at = bytes.indexOf(byte);
      if (at !== -1 && (undefinedAt === -1 || at < undefinedAt)) undefinedAt = at;
    }
    if (undefinedAt !== -1) {
      throw new ParseError(
        'invalid_encoding',
        `The file is neither UTF-8 nor Windows-1252: byte ${hex(bytes[undefinedAt] as number)} at byte offset ${offset + undefinedAt} (line ${lines.lineAt(bytes, undefinedAt)}) is no character in Windows-1252 (Latin-1), ` +
          'and the file is not UTF-8 either. Save it as UTF-8.',
      );
    }
    lines.advance(bytes);
    offset += bytes.length;
    return decoder.write(bytes) + (last ? (decoder.end() ?? '') : '');
  };
}

/** Length of a UTF-8 sequence from its lead byte (0 for a continuation or invalid byte). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 0;
  if (lead >= 0xc2) return 2;
  return 0;
}

/**
 * Passes UTF-8 bytes through after checking them (simdutf via buffer.isUtf8), holding back a character
 * cut by the chunk boundary until the next chunk completes it. `why` the file is read as UTF-8 (a BOM, its
 * sample, the mapping) words the error.
 */
function utf8Validator(bom: number, why: 'bom' | 'sample' | 'setting'): (bytes: Buffer, last: boolean) => Buffer {
  let carry: Buffer = Buffer.alloc(0);
  let offset = bom;
  const lines = new LineCounter();
  return (bytes, last) => {
    const data = carry.length === 0 ? bytes : Buffer.concat([carry, bytes]);
    let end = data.length;
    if (!last) {
      // Find the start of the last character; keep it back if it is incomplete.
      for (let back = 1; back <= Math.min(3, data.length); back += 1) {
        const byte = data[data.length - back] as number;
        if ((byte & 0xc0) !== 0x80) {
          if (sequenceLength(byte) > back) end = data.length - back;
          break;
        }
      }
    }
    const complete = data.subarray(0, end);
    if (!isUtf8(complete) || (last && end < data.length)) {
      const at = isUtf8(complete) ? end : firstInvalidUtf8(complete);
      const because =
        why === 'bom'
          ? 'though it starts with a UTF-8 byte-order mark'
          : why === 'setting'
            ? 'though the import says it is UTF-8'
            : `though its first ${SAMPLE_BYTES / 1024} KiB are`;
      throw new ParseError(
        'invalid_encoding',
        `The file is not valid UTF-8, ${because}: byte ${hex(data[at] as number)} at byte offset ${offset + at} (line ${lines.lineAt(data, at)}) is not part of a UTF-8 character. ` +
          'Save the whole file as UTF-8, or set the import encoding to windows-1252 if it was exported as Windows-1252 (Latin-1).',
      );
    }
    lines.advance(complete);
    carry = Buffer.from(data.subarray(end));
    offset += complete.length;
    return complete;
  };
}
