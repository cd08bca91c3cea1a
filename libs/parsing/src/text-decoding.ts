import iconv from 'iconv-lite';
import { isUtf8 } from 'node:buffer';
import { ParseError } from './parse-error';

export type FileEncoding = 'utf-8' | 'windows-1252';

/** Bytes read before deciding the encoding and the delimiter. */
export const SAMPLE_BYTES = 64 * 1024;

/**
 * Encoding rule: a UTF-16 byte-order mark is refused (`unknown_encoding`); a NUL byte in the sample means a
 * binary file (`unreadable_file`); a UTF-8 BOM or a sample that is valid UTF-8 means UTF-8 (BOM removed);
 * anything else is Windows-1252, the superset of Latin-1 that old Brazilian/European systems write.
 */
export function detectEncoding(sample: Buffer, complete: boolean): FileEncoding {
  if ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff)) {
    throw new ParseError('unknown_encoding', 'The file is UTF-16; export it as UTF-8 (or Latin-1) text.');
  }
  if (sample.includes(0)) throw new ParseError('unreadable_file', 'The file contains NUL bytes: it looks binary, not CSV or NDJSON text.');
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8';
  // A sample cut in the middle of a multi-byte character is still UTF-8: drop up to 3 trailing bytes.
  for (let cut = 0; cut <= (complete ? 0 : 3); cut += 1) {
    if (isUtf8(sample.subarray(0, sample.length - cut))) return 'utf-8';
  }
  return 'windows-1252';
}

export interface DecodedText {
  readonly encoding: FileEncoding;
  /** The text of the sample (BOM removed), for delimiter detection. */
  readonly sample: string;
  /** Whether the sample is the whole file. */
  readonly complete: boolean;
  /**
   * The whole file, sample included: valid UTF-8 bytes (BOM removed, every chunk ending on a character
   * boundary, so each decodes on its own) for UTF-8 files, checked once with simdutf; decoded
   * strings for Windows-1252 files.
   */
  readonly chunks: AsyncGenerator<Buffer | string>;
}

/**
 * Reads the first SAMPLE_BYTES, decides the encoding (or uses the mapping's), and returns the file as a
 * stream of chunks that never split a multi-byte character. A UTF-8 file with an invalid byte after the
 * sample fails as a whole (`invalid_encoding`) rather than loading replacement characters.
 */
export async function decodeText(input: NodeJS.ReadableStream, setting: 'utf-8' | 'windows-1252' | 'latin1' | undefined): Promise<DecodedText> {
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
  const detected = detectEncoding(sampleBytes, complete);
  const encoding: FileEncoding = setting === undefined ? detected : setting === 'utf-8' ? 'utf-8' : 'windows-1252';
  if (encoding === 'utf-8' && sampleBytes[0] === 0xef && sampleBytes[1] === 0xbb && sampleBytes[2] === 0xbf) sampleBytes = sampleBytes.subarray(3);

  const convert = encoding === 'utf-8' ? utf8Validator() : windows1252Decoder();
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

function windows1252Decoder(): (bytes: Buffer, last: boolean) => string {
  // iconv-lite, not TextDecoder: Node's TextDecoder maps 0x80-0x9F to C1 controls instead of € “ ” etc.
  const decoder = iconv.getDecoder('win1252');
  return (bytes, last) => decoder.write(bytes) + (last ? (decoder.end() ?? '') : '');
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
 * cut by the chunk boundary until the next chunk completes it.
 */
function utf8Validator(): (bytes: Buffer, last: boolean) => Buffer {
  let carry: Buffer = Buffer.alloc(0);
  let offset = 0;
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
      throw new ParseError(
        'invalid_encoding',
        `The file is not valid UTF-8 (invalid bytes after byte ${offset}), though its beginning is. Set the import encoding to windows-1252 if it was exported as Latin-1.`,
      );
    }
    carry = Buffer.from(data.subarray(end));
    offset += complete.length;
    return complete;
  };
}
