import { ConnectorError } from '../connector-errors';
import type { HttpClient } from '../http/http-client';
import type { FileStore, ListedFile } from './file-listing';

/**
 * One file at an https URL, versioned by its ETag (or Last-Modified when the server sends no ETag).
 * A plain web server cannot be listed, so there is no glob here: one source per URL.
 */
export class HttpsFileStore implements FileStore {
  constructor(
    private readonly url: string,
    private readonly http: HttpClient,
    private readonly headers: Record<string, string> = {},
  ) {}

  async *list(): AsyncGenerator<ListedFile> {
    const headers = await this.http.head(this.url, this.headers);
    const etag = typeof headers['etag'] === 'string' ? headers['etag'] : undefined;
    const lastModified = typeof headers['last-modified'] === 'string' ? headers['last-modified'] : undefined;
    const version = etag ?? lastModified;
    if (version === undefined) {
      throw new ConnectorError('source_request_failed', `${new URL(this.url).host} sends neither ETag nor Last-Modified, so changes cannot be detected`);
    }
    const length = headers['content-length'];
    yield {
      uri: this.url,
      version: version.replace(/"/g, ''),
      size: typeof length === 'string' ? Number(length) : null,
      open: async () => (await this.http.get(this.url, { ...this.headers, ...unchangedSince(etag, lastModified) })).body,
    };
  }

  async close(): Promise<void> {}
}

/**
 * The precondition that the file is still the version listed: If-Match takes a strong ETag only (a weak
 * one, W/"…", never matches it, and a date is no entity tag: Apache answered 412 to every read of a
 * file served with Last-Modified alone); otherwise If-Unmodified-Since with the Last-Modified date.
 * With neither, the read goes without one: a file changed in between is read again at the next sync.
 */
function unchangedSince(etag: string | undefined, lastModified: string | undefined): Record<string, string> {
  if (etag !== undefined && !etag.startsWith('W/')) return { 'if-match': etag };
  if (lastModified !== undefined) return { 'if-unmodified-since': lastModified };
  return {};
}
