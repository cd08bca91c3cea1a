import picomatch from 'picomatch';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import type { DiscoveredStream, ReadOptions, SourceConnector, SourcePage, StreamState } from '../connector';
import { ConnectorError } from '../connector-errors';
import type { FileStore, ListedFile } from './file-listing';

export interface FileLocation {
  scheme: 'gs' | 's3' | 'https';
  bucket: string | null;
  /** Object-name prefix to list (the part of the pattern before its first glob character). */
  prefix: string;
  /** Glob over object names (`exports/**\/*.csv`); null when the URL names one object or a folder. */
  pattern: string | null;
  /** The one object a URL without glob names (`exports/customers.csv`); null for a glob or a folder (`exports/`). */
  object: string | null;
}

const GLOB_CHARACTERS = /[*?[\]{}!]/;

/** Splits `gs://bucket/exports/2026-*.csv` into bucket, listing prefix and glob. */
export function parseFileUrl(url: string): FileLocation {
  const match = /^(gs|s3):\/\/([^/]+)\/?(.*)$/.exec(url);
  if (match) {
    const [, scheme, bucket, path = ''] = match;
    const firstGlob = path.search(GLOB_CHARACTERS);
    if (firstGlob >= 0) return { scheme: scheme as 'gs' | 's3', bucket: bucket as string, prefix: path.slice(0, firstGlob), pattern: path, object: null };
    // Without a glob, a path names one object, or with a final `/` (or none) every object in a folder:
    // `exports/customers.csv` must not also load `exports/customers.csv.bak` or a half-written `.tmp`.
    const folder = path === '' || path.endsWith('/');
    return { scheme: scheme as 'gs' | 's3', bucket: bucket as string, prefix: path, pattern: null, object: folder ? null : path };
  }
  if (/^https:\/\//.test(url)) return { scheme: 'https', bucket: null, prefix: '', pattern: null, object: null };
  throw new ConnectorError('invalid_source_config', 'A file source URL must start with gs://, s3:// or https://');
}

/**
 * A `.gz` file is handed on decompressed (its format is that of the name without `.gz`): stored as it
 * is, its bytes would be parsed as text, and every sync would reject every row. Decompressed only when
 * its bytes are gzip: Cloud Storage serves an object stored with `Content-Encoding: gzip` decompressed
 * already. Its size is then unknown.
 */
function decompressed(file: ListedFile): { size: number | null; open: () => Promise<Readable> } {
  if (!/\.gz$/i.test(new URL(file.uri.replace(/^(gs|s3):/, 'https:')).pathname)) return { size: file.size, open: file.open };
  return {
    size: null,
    open: async () => {
      const source = await file.open();
      const first = await peekFirstChunk(source);
      if (first === null || first[0] !== 0x1f || first[1] !== 0x8b) return source;
      const gunzip = createGunzip();
      const out = new PassThrough();
      source.on('error', (error) => out.destroy(error));
      gunzip.on('error', (error) => out.destroy(new ConnectorError('source_request_failed', `${file.uri} could not be decompressed: ${error.message}`, { cause: error })));
      // A reader that stops early (a failed load) must not leave the download open.
      out.once('close', () => {
        source.destroy();
        gunzip.destroy();
      });
      return source.pipe(gunzip).pipe(out);
    },
  };
}

/**
 * The stream's first chunk (null for an empty stream), put back at once: later, the stream could have
 * ended in between, and a chunk put back after its end is lost.
 */
function peekFirstChunk(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const done = (settle: () => void) => {
      stream.off('readable', onReadable).off('end', onEnd).off('error', onError);
      settle();
    };
    const onReadable = () => {
      const chunk = stream.read() as Buffer | null;
      if (chunk === null) return;
      stream.unshift(chunk);
      done(() => resolve(chunk));
    };
    const onEnd = () => done(() => resolve(null));
    const onError = (error: Error) => done(() => reject(error));
    stream.on('readable', onReadable).once('end', onEnd).once('error', onError);
  });
}

/** CSV unless the name says NDJSON; the parser detects delimiter and encoding itself. */
export function formatOf(uri: string, configured?: 'csv' | 'ndjson'): 'csv' | 'ndjson' {
  if (configured) return configured;
  return /\.(ndjson|jsonl)(\.gz)?$/i.test(new URL(uri.replace(/^(gs|s3):/, 'https:')).pathname) ? 'ndjson' : 'csv';
}

const fileStateSchema = z.object({ v: z.literal(1), processed: z.record(z.string(), z.string()) });

function processedFiles(state: StreamState | null): Record<string, string> {
  if (state === null) return {};
  const parsed = fileStateSchema.safeParse(state);
  if (!parsed.success) throw new ConnectorError('invalid_sync_state', 'The saved sync state is not a file list');
  return parsed.data.processed;
}

/**
 * Files in a bucket (or one https URL), each processed once per version. A page is ONE file, handed on
 * as a byte stream: the import parser (the same one uploads go through) detects delimiter, encoding
 * and types, so a file from a bucket and the same file uploaded load identically. The state maps each
 * file to the version last loaded; a new generation/ETag of a file is loaded again, and files that
 * disappeared from the listing are forgotten.
 */
export class FileConnector implements SourceConnector {
  readonly kind: string;
  private readonly matches: (name: string) => boolean;

  constructor(
    private readonly location: FileLocation,
    private readonly store: FileStore,
    private readonly format?: 'csv' | 'ndjson',
  ) {
    this.kind = location.scheme;
    const matcher = location.pattern ? picomatch(location.pattern, { dot: false }) : null;
    this.matches = (name) => (location.object !== null ? name === location.object : matcher ? matcher(name) : name.startsWith(location.prefix));
  }

  async discover(): Promise<DiscoveredStream[]> {
    const files = await this.listMatching();
    return files.map((file) => ({ name: file.uri, columns: [], primaryKey: [] }));
  }

  async readPage(state: StreamState | null, _options: ReadOptions): Promise<SourcePage> {
    const processed = processedFiles(state);
    const files = await this.listMatching();
    const listed = new Set(files.map((file) => file.uri));
    const kept: Record<string, string> = Object.fromEntries(Object.entries(processed).filter(([uri]) => listed.has(uri)));
    const pending = files.filter((file) => kept[file.uri] !== file.version);
    const next = pending[0];
    if (!next) return { kind: 'empty', state: { v: 1, processed: kept }, done: true };
    return {
      kind: 'file',
      file: { uri: next.uri, format: formatOf(next.uri, this.format), version: next.version, ...decompressed(next) },
      state: { v: 1, processed: { ...kept, [next.uri]: next.version } },
      done: pending.length === 1,
    };
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  /** Matching files in name order, so loads happen in a stable order (dated exports load oldest first). */
  private async listMatching(): Promise<ListedFile[]> {
    const files: ListedFile[] = [];
    let inFolderOfThatName = false;
    for await (const file of this.store.list(this.location.prefix)) {
      const name = this.location.bucket ? file.uri.slice(`${this.location.scheme}://${this.location.bucket}/`.length) : file.uri;
      if (this.location.scheme === 'https' || this.matches(name)) files.push(file);
      else if (this.location.object !== null && name.startsWith(`${this.location.object}/`)) inFolderOfThatName = true;
    }
    // `gs://b/exports` named the folder until a URL without a glob came to name one object: such a
    // source would now read nothing, and succeed, at every sync.
    if (files.length === 0 && inFolderOfThatName) {
      throw new ConnectorError('invalid_source_config', `${this.kind}://${this.location.bucket}/${this.location.object} names no object but a folder: end the URL with / to read every file in it`);
    }
    return files.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  }
}
