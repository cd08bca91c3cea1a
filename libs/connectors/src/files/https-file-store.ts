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
    const etag = headers['etag'] ?? headers['last-modified'];
    if (typeof etag !== 'string') {
      throw new ConnectorError('source_request_failed', `${new URL(this.url).host} sends neither ETag nor Last-Modified, so changes cannot be detected`);
    }
    const length = headers['content-length'];
    yield {
      uri: this.url,
      version: etag.replace(/"/g, ''),
      size: typeof length === 'string' ? Number(length) : null,
      open: async () => (await this.http.get(this.url, { ...this.headers, 'if-match': etag })).body,
    };
  }

  async close(): Promise<void> {}
}
