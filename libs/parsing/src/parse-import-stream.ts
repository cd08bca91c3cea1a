import { BatchBuilder, DEFAULT_BATCH_SIZE } from './batch-builder';
import { resolveMapping } from './column-plan';
import { parseCsv } from './csv-import';
import { parseNdjson } from './ndjson-import';
import type { ParsedBatch, ParseOptions } from './parse-types';
import { decodeText } from './text-decoding';
import { ZonedTime } from './zoned-time';

/**
 * Parses a tenant's CSV or NDJSON file into canonical rows of `options.entity`, streaming: batches of
 * about `batchSize` rows and rejects, memory independent of the file size. Row problems become
 * rejections and parsing continues; whole-file problems throw a ParseError (see README.md for every rule).
 */
export async function* parseImportStream(input: NodeJS.ReadableStream, options: ParseOptions): AsyncGenerator<ParsedBatch> {
  const resolved = resolveMapping(options.entity, options.mapping);
  const zone = new ZonedTime(options.timezone);
  const batch = new BatchBuilder(Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE));
  const text = await decodeText(input, resolved.mapping?.encoding, options.format);
  const context = { entity: options.entity, resolved, zone, skipRecords: options.skipRecords ?? 0, batch };
  yield* options.format === 'csv' ? parseCsv(text, context) : parseNdjson(text, context);
  const last = batch.final();
  if (last !== undefined) yield last;
}
