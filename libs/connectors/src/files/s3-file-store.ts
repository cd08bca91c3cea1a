import aws4 from 'aws4';
import { XMLParser } from 'fast-xml-parser';
import { ConnectorError } from '../connector-errors';
import type { HttpClient } from '../http/http-client';
import { DEFAULT_MAX_PAGES, PageTrail } from '../http/page-trail';
import type { FileStore, ListedFile } from './file-listing';

export interface S3Access {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** S3-compatible endpoint (MinIO, R2, a test fake): path-style addressing. Default: AWS virtual-hosted style. */
  endpoint?: string;
}

// Keys and ETags stay strings even when they look like numbers.
const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'Contents' });

/** S3 ListObjectsV2 and GetObject (If-Match the listed ETag), signed with SigV4 by `aws4`. */
export class S3FileStore implements FileStore {
  constructor(
    private readonly bucket: string,
    private readonly http: HttpClient,
    private readonly access: S3Access,
    private readonly maxListingPages = DEFAULT_MAX_PAGES,
  ) {}

  /**
   * Virtual-hosted style on AWS, except for a bucket name with a dot: AWS's certificate covers
   * `*.s3.<region>.amazonaws.com`, one label, so `my.exports.s3...` fails TLS; such buckets are
   * addressed path-style (which AWS keeps for them).
   */
  private objectUrl(key: string, query: Record<string, string> = {}): URL {
    const path = key.split('/').map(encodeURIComponent).join('/');
    const url = this.access.endpoint
      ? new URL(`${this.access.endpoint.replace(/\/$/, '')}/${encodeURIComponent(this.bucket)}/${path}`)
      : this.bucket.includes('.')
        ? new URL(`https://s3.${this.access.region}.amazonaws.com/${encodeURIComponent(this.bucket)}/${path}`)
        : new URL(`https://${this.bucket}.s3.${this.access.region}.amazonaws.com/${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url;
  }

  private signed(url: URL, extra: Record<string, string> = {}): Record<string, string> {
    const request = aws4.sign(
      { host: url.host, path: `${url.pathname}${url.search}`, method: 'GET', service: 's3', region: this.access.region, headers: { ...extra } },
      { accessKeyId: this.access.accessKeyId, secretAccessKey: this.access.secretAccessKey },
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) if (name.toLowerCase() !== 'host') headers[name.toLowerCase()] = String(value);
    return headers;
  }

  async *list(prefix: string): AsyncGenerator<ListedFile> {
    let token: string | undefined;
    // The endpoint is tenant-configurable: a listing that hands back a token already used would never end.
    const trail = new PageTrail(`s3://${this.bucket}`, this.maxListingPages);
    do {
      trail.visit(token ?? '', "the listing's NextContinuationToken");
      const query: Record<string, string> = { 'list-type': '2', prefix };
      if (token) query['continuation-token'] = token;
      const url = this.objectUrl('', query);
      const { text } = await this.http.getText(url.toString(), this.signed(url));
      const result = parser.parse(text)?.ListBucketResult;
      if (!result) throw new ConnectorError('source_request_failed', `s3://${this.bucket}: the listing is not a ListBucketResult`);
      for (const item of (result.Contents ?? []) as { Key: string; ETag: string; Size: string }[]) {
        if (item.Key.endsWith('/')) continue;
        const etag = item.ETag;
        yield {
          uri: `s3://${this.bucket}/${item.Key}`,
          version: etag.replace(/"/g, ''),
          size: Number(item.Size),
          open: async () => {
            const objectUrl = this.objectUrl(item.Key);
            // If-Match: a file replaced since the listing fails the read instead of mixing versions.
            return (await this.http.get(objectUrl.toString(), this.signed(objectUrl, { 'if-match': etag }))).body;
          },
        };
      }
      token = result.IsTruncated === 'true' ? result.NextContinuationToken : undefined;
    } while (token);
  }

  async close(): Promise<void> {}
}
