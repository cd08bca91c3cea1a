import { Readable } from 'node:stream';
import { parseImportStream } from '../parse-import-stream';
import type { CanonicalRow, ParsedBatch, ParseOptions, RowRejection } from '../parse-types';

/** The bytes as a stream of `chunkSize`-byte chunks (to put chunk boundaries anywhere). */
export function chunkedStream(bytes: Buffer, chunkSize = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

export interface ParseResult {
  readonly rows: CanonicalRow[];
  readonly rejects: RowRejection[];
  readonly batches: ParsedBatch[];
}

/** Runs the parser over the whole input and collects everything (tests only: holds all rows). */
export async function parseAll(input: Buffer | string, options: Partial<ParseOptions> & Pick<ParseOptions, 'entity'>, chunkSize?: number): Promise<ParseResult> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const batches: ParsedBatch[] = [];
  for await (const batch of parseImportStream(chunkedStream(bytes, chunkSize), { format: 'csv', timezone: 'UTC', ...options })) batches.push(batch);
  return { rows: batches.flatMap((b) => b.rows), rejects: batches.flatMap((b) => b.rejects), batches };
}
