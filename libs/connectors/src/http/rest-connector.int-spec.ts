import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createRootLogger } from '@pulse/logging';
import type { SourceConnector, SourceRecord, StreamState } from '../connector';
import { SecretScrubber, withScrubbedErrors } from '../security/secret-scrubber';
import { nextLink, RestConnector, type RestStreamConfig } from './rest-connector';
import { LOCAL_TEST_ADDRESSES } from '../network/local-networks.int-kit';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A local JSON API whose behaviour each test scripts; it records what it was asked. */
class FakeApi {
  readonly requests: { url: string; authorization?: string; apiKey?: string; at: number }[] = [];
  handler: Handler = (_request, response) => response.end('[]');
  private server!: Server;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.requests.push({ url: request.url ?? '', authorization: request.headers.authorization, apiKey: request.headers['x-api-key'] as string | undefined, at: Date.now() });
      this.handler(request, response);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function json(response: ServerResponse, body: unknown, headers: Record<string, string> = {}, status = 200): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

async function readAll(connector: SourceConnector, from: StreamState | null = null): Promise<{ records: SourceRecord[]; states: StreamState[] }> {
  const records: SourceRecord[] = [];
  const states: StreamState[] = [];
  let state = from;
  for (let first = true; ; first = false) {
    const page = await connector.readPage(state, { syncStart: first && from === null });
    if (page.kind !== 'records') throw new Error('expected records');
    records.push(...page.records);
    states.push(page.state);
    state = page.state;
    if (page.done) return { records, states };
  }
}

describe('RestConnector against a local API', () => {
  const api = new FakeApi();
  let connector: RestConnector | null = null;
  beforeAll(() => api.start());
  afterAll(() => api.stop());
  beforeEach(() => void (api.requests.length = 0));
  afterEach(async () => {
    await connector?.close();
    connector = null;
  });

  const make = (config: Partial<RestStreamConfig>) =>
    (connector = new RestConnector({ url: `${api.base}/v2/customers?status=active`, recordsPath: '$.data.items', pagination: { type: 'none' }, auth: { type: 'none' }, retry: { minDelayMs: 20, maxDelayMs: 2000 }, addresses: LOCAL_TEST_ADDRESSES, ...config }));

  it('follows a body cursor with a bearer token, and resumes an interrupted read from the saved page', async () => {
    api.handler = (request, response) => {
      const cursor = new URL(request.url ?? '', api.base).searchParams.get('after');
      if (cursor === null) return json(response, { data: { items: [{ id: 1 }, { id: 2 }] }, meta: { next: 'c2' } });
      if (cursor === 'c2') return json(response, { data: { items: [{ id: 3 }] }, meta: { next: 'c3' } });
      return json(response, { data: { items: [] }, meta: { next: null } });
    };
    const rest = make({ pagination: { type: 'cursor', cursorPath: 'meta.next', cursorParam: 'after' }, auth: { type: 'bearer', token: 'tok-123456' } });
    const { records, states } = await readAll(rest);
    expect(records).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(api.requests.map((request) => [request.url, request.authorization])).toEqual([
      ['/v2/customers?status=active', 'Bearer tok-123456'],
      ['/v2/customers?status=active&after=c2', 'Bearer tok-123456'],
      ['/v2/customers?status=active&after=c3', 'Bearer tok-123456'],
    ]);
    // Resuming from the state saved after the first page asks for page 2, not page 1.
    api.requests.length = 0;
    const page = await rest.readPage(states[0] as StreamState, { syncStart: false });
    expect(page.kind === 'records' && page.records).toEqual([{ id: 3 }]);
    expect(api.requests[0]?.url).toBe('/v2/customers?status=active&after=c2');
  });

  it('keeps 64-bit ids and cursors exact, as text, where JSON.parse would round them', async () => {
    // Written by hand: JSON.stringify cannot write these numbers exactly.
    api.handler = (request, response) => {
      const cursor = new URL(request.url ?? '', api.base).searchParams.get('after');
      response.writeHead(200, { 'content-type': 'application/json' });
      if (cursor === null) return response.end('{"data":{"items":[{"id":9007199254740993,"n":7},{"id":9007199254740992,"n":8.5}]},"meta":{"next":1234567890123456789}}');
      return response.end('{"data":{"items":[{"id":1234567890123456789}]},"meta":{"next":null}}');
    };
    const { records } = await readAll(make({ pagination: { type: 'cursor', cursorPath: 'meta.next', cursorParam: 'after' } }));
    // Before: both first ids read as 9007199254740992 (one overwrote the other) and the cursor as ...800.
    expect(records).toEqual([{ id: '9007199254740993', n: 7 }, { id: '9007199254740992', n: 8.5 }, { id: '1234567890123456789' }]);
    expect(api.requests.map((request) => request.url)).toEqual(['/v2/customers?status=active', '/v2/customers?status=active&after=1234567890123456789']);
  });

  it('follows Link rel="next" headers with basic auth and a top-level array', async () => {
    api.handler = (request, response) => {
      const pageNumber = Number(new URL(request.url ?? '', api.base).searchParams.get('page') ?? 1);
      const link: Record<string, string> = pageNumber < 2 ? { link: `<${api.base}/v2/customers?status=active&page=2>; rel="next", <${api.base}/v2/customers?page=9>; rel="last"` } : {};
      json(response, [{ id: pageNumber }], link);
    };
    const { records } = await readAll(make({ recordsPath: '$', pagination: { type: 'link' }, auth: { type: 'basic', username: 'ana', password: 'pa:ss' } }));
    expect(records).toEqual([{ id: 1 }, { id: 2 }]);
    expect(api.requests.map((request) => request.authorization)).toEqual([`Basic ${Buffer.from('ana:pa:ss').toString('base64')}`, `Basic ${Buffer.from('ana:pa:ss').toString('base64')}`]);
    expect(api.requests[1]?.url).toBe('/v2/customers?status=active&page=2');
  });

  it('pages by offset with an API key in the query string that never reaches the saved state', async () => {
    api.handler = (request, response) => {
      const offset = Number(new URL(request.url ?? '', api.base).searchParams.get('offset'));
      json(response, { data: { items: [{ id: offset + 1 }, { id: offset + 2 }].filter((item) => item.id <= 5) } });
    };
    const { records, states } = await readAll(make({ pagination: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 2 }, auth: { type: 'api_key', value: 'k3y-secret', queryParam: 'key' } }));
    expect(records.map((record) => record['id'])).toEqual([1, 2, 3, 4, 5]);
    expect(api.requests.map((request) => request.url)).toEqual([
      '/v2/customers?status=active&offset=0&limit=2&key=k3y-secret',
      '/v2/customers?status=active&offset=2&limit=2&key=k3y-secret',
      '/v2/customers?status=active&offset=4&limit=2&key=k3y-secret',
      // The short page was not taken for the last: only an empty one ends the read.
      '/v2/customers?status=active&offset=5&limit=2&key=k3y-secret',
    ]);
    expect(JSON.stringify(states)).not.toContain('k3y-secret');
  });

  it('reads to the end an API that serves fewer records than the limit asks, or an empty page with a cursor to more', async () => {
    // At most 2 records a page whatever `limit` says; before, the first short page ended the read.
    const ids = [1, 2, 3, 4, 5];
    api.handler = (request, response) => {
      const offset = Number(new URL(request.url ?? '', api.base).searchParams.get('offset'));
      json(response, { data: { items: ids.slice(offset, offset + 2).map((id) => ({ id })) } });
    };
    const capped = await readAll(make({ pagination: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', limit: 100 } }));
    expect(capped.records.map((record) => record['id'])).toEqual(ids);

    // Records filtered out after paging: an empty page, and a cursor to the next one.
    api.handler = (request, response) => {
      const after = new URL(request.url ?? '', api.base).searchParams.get('after');
      if (after === null) return json(response, { data: { items: [{ id: 1 }] }, meta: { next: 'p2' } });
      if (after === 'p2') return json(response, { data: { items: [] }, meta: { next: 'p3' } });
      if (after === 'p3') return json(response, { data: { items: [{ id: 3 }] }, meta: { next: 'p4' } });
      return json(response, { data: { items: [] }, meta: { next: 'p4' } });
    };
    const filtered = await readAll(make({ pagination: { type: 'cursor', cursorPath: 'meta.next', cursorParam: 'after' } }));
    expect(filtered.records).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it('waits out 429 Retry-After and retries 5xx answers, then succeeds', async () => {
    let calls = 0;
    api.handler = (_request, response) => {
      calls += 1;
      if (calls === 1) return json(response, { error: 'slow down' }, { 'retry-after': '1' }, 429);
      if (calls === 2) return json(response, { error: 'oops' }, {}, 503);
      json(response, { data: { items: [{ id: 'ok' }] } });
    };
    const { records } = await readAll(make({ auth: { type: 'api_key', value: 'header-key', header: 'X-Api-Key' } }));
    expect(records).toEqual([{ id: 'ok' }]);
    expect(api.requests).toHaveLength(3);
    expect(api.requests[0]?.apiKey).toBe('header-key');
    // Retry-After: 1 means at least a second between the first and second attempt.
    expect((api.requests[1]?.at ?? 0) - (api.requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('gives up on a persistent 5xx with a clear error, and fails fast on other 4xx answers', async () => {
    api.handler = (_request, response) => json(response, { error: 'down' }, {}, 500);
    await expect(readAll(make({ retry: { maxRetries: 2, minDelayMs: 10 } }))).rejects.toThrow(`http://127.0.0.1:${new URL(api.base).port}/v2/customers kept answering 500 after retries`);
    expect(api.requests).toHaveLength(3);
    api.requests.length = 0;
    api.handler = (_request, response) => json(response, { error: 'not found' }, {}, 404);
    await expect(readAll(make({}))).rejects.toThrow('/v2/customers answered 404: {"error":"not found"}');
    expect(api.requests).toHaveLength(1);
  });

  it('keeps credentials out of errors and logs even when the server echoes them', async () => {
    const token = 'sk_live_9f8e7d6c5b4a';
    api.handler = (request, response) => json(response, { error: `invalid token ${request.headers.authorization}` }, {}, 401);
    const scrubbed = withScrubbedErrors(make({ auth: { type: 'bearer', token } }), new SecretScrubber([token]));
    const lines: string[] = [];
    const logger = createRootLogger(
      { service: 'test', version: '0', level: 'info', format: 'json' },
      new Writable({ write: (chunk, _encoding, done) => void (lines.push(String(chunk)), done()) }),
    );
    const error = await scrubbed.readPage(null, { syncStart: true }).catch((caught: unknown) => caught as Error);
    logger.error({ err: error, source: { url: `${api.base}/v2/customers` } }, 'sync failed');
    expect((error as Error).message).toContain('answered 401: {"error":"invalid token Bearer [redacted]"}');
    expect(lines.join('')).toContain('invalid token Bearer [redacted]');
    expect(lines.join('')).not.toContain(token);
  });

  it('parses Link headers with several relations and relative targets', () => {
    expect(nextLink('</items?page=3>; rel="prev next"', 'https://api.example.test/items?page=2')).toBe('https://api.example.test/items?page=3');
    expect(nextLink('<https://a.test/x?p=1>; rel="prev"', 'https://a.test/x')).toBeNull();
    expect(nextLink(undefined, 'https://a.test/x')).toBeNull();
  });
});
