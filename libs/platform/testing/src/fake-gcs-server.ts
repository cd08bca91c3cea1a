import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake saw it: what the client library really sent. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  contentRange: string | undefined;
  bodyBytes: number;
}

interface StoredObject {
  data: Buffer;
  contentType: string;
  updated: string;
}

/**
 * A small fake of the GCS JSON API on a local port, enough for GcsStorage: resumable uploads (session
 * POST, then one PUT of the bytes), metadata, media download, delete and paged listing. It keeps
 * objects in memory and records every request so tests can check what the client sent.
 */
export class FakeGcsServer {
  readonly requests: RecordedRequest[] = [];
  readonly objects = new Map<string, StoredObject>();
  /**
   * While set, every request is answered 403 (as GCS answers an account without the role it needs) and
   * changes nothing; the client library does not retry a 403.
   */
  forbidden = false;
  private readonly sessions = new Map<string, { bucket: string; name: string; contentType: string }>();
  private nextSession = 1;

  private constructor(
    private readonly server: http.Server,
    readonly bucket: string,
    /** Page size of listings, small so tests see pagination. */
    private readonly pageSize: number,
  ) {}

  static async start(bucket: string, options: { pageSize?: number } = {}): Promise<FakeGcsServer> {
    const handlers: { handle?: (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void> } = {};
    const server = http.createServer((request, response) => void handlers.handle?.(request, response));
    const fake = new FakeGcsServer(server, bucket, options.pageSize ?? 2);
    handlers.handle = (request, response) => fake.handle(request, response);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private metadata(name: string, object: StoredObject) {
    return {
      kind: 'storage#object',
      bucket: this.bucket,
      name,
      size: String(object.data.length),
      contentType: object.contentType,
      md5Hash: createHash('md5').update(object.data).digest('base64'),
      updated: object.updated,
    };
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    this.requests.push({
      method: request.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: request.headers['content-type'],
      contentRange: request.headers['content-range'],
      bodyBytes: body.length,
    });
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    const notFound = () => json(404, { error: { code: 404, message: 'No such object.', errors: [{ reason: 'notFound' }] } });
    if (this.forbidden) {
      return json(403, { error: { code: 403, message: 'The caller does not have permission on the bucket.', errors: [{ reason: 'forbidden' }] } });
    }

    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (upload && request.method === 'POST' && url.searchParams.get('uploadType') === 'resumable') {
      const metadata = body.length > 0 ? (JSON.parse(body.toString('utf8')) as { contentType?: string }) : {};
      const id = String(this.nextSession++);
      this.sessions.set(id, {
        bucket: decodeURIComponent(upload[1] as string),
        name: url.searchParams.get('name') ?? '',
        contentType: metadata.contentType ?? String(request.headers['x-upload-content-type'] ?? 'application/octet-stream'),
      });
      response.writeHead(200, { location: `${this.endpoint}/upload/storage/v1/b/${upload[1]}/o?uploadType=resumable&upload_id=${id}` });
      response.end();
      return;
    }
    if (upload && request.method === 'PUT') {
      const session = this.sessions.get(url.searchParams.get('upload_id') ?? '');
      if (!session) return notFound();
      const object = { data: body, contentType: session.contentType, updated: new Date().toISOString() };
      this.objects.set(session.name, object);
      return json(200, this.metadata(session.name, object));
    }

    const single = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    if (single) {
      const name = decodeURIComponent(single[2] as string);
      const object = this.objects.get(name);
      if (request.method === 'DELETE') {
        if (!object) return notFound();
        this.objects.delete(name);
        response.writeHead(204);
        response.end();
        return;
      }
      if (!object) return notFound();
      if (url.searchParams.get('alt') === 'media') {
        response.writeHead(200, { 'content-type': object.contentType, 'content-length': object.data.length });
        response.end(object.data);
        return;
      }
      return json(200, this.metadata(name, object));
    }

    const listing = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (listing && request.method === 'GET') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const names = [...this.objects.keys()].filter((name) => name.startsWith(prefix)).sort();
      const start = Number(url.searchParams.get('pageToken') ?? '0');
      const page = names.slice(start, start + this.pageSize);
      const next = start + this.pageSize < names.length ? String(start + this.pageSize) : undefined;
      return json(200, {
        kind: 'storage#objects',
        items: page.map((name) => this.metadata(name, this.objects.get(name) as StoredObject)),
        ...(next ? { nextPageToken: next } : {}),
      });
    }
    json(400, { error: { code: 400, message: `fake GCS does not handle ${request.method} ${url.pathname}` } });
  }
}
