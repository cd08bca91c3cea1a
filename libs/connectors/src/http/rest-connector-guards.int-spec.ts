import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_TEST_ADDRESSES } from '../network/local-networks.int-kit';
import { runSync, type PageSink } from '../sync-runner';
import { RestConnector, type RestStreamConfig } from './rest-connector';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A local JSON API whose behaviour each test scripts; it records what it was asked, and with which credentials. */
class FakeApi {
  readonly requests: { url: string; authorization?: string }[] = [];
  handler: Handler = (_request, response) => response.end('[]');
  base = '';
  private server!: Server;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.requests.push({ url: request.url ?? '', authorization: request.headers.authorization });
      this.handler(request, response);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function json(response: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(200, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Runs a sync to its end; a sink that stops at 50 pages turns a never-ending read into a test failure, not a hang. */
async function sync(connector: RestConnector): Promise<{ pages: number; error: unknown }> {
  let pages = 0;
  const sink: PageSink = {
    commit: async () => {
      pages += 1;
      if (pages >= 50) throw new Error('still reading after 50 pages');
    },
  };
  const error = await runSync(connector, null, sink).then(
    () => null,
    (caught: unknown) => caught,
  );
  return { pages, error };
}

describe('RestConnector guards against a local API', () => {
  const api = new FakeApi();
  const other = new FakeApi();
  const connectors: RestConnector[] = [];
  beforeAll(() => Promise.all([api.start(), other.start()]));
  afterAll(() => Promise.all([api.stop(), other.stop()]));
  beforeEach(() => void ((api.requests.length = 0), (other.requests.length = 0)));
  afterEach(async () => {
    await Promise.all(connectors.splice(0).map((connector) => connector.close()));
  });

  const make = (config: Partial<RestStreamConfig>) => {
    const connector = new RestConnector({
      url: `${api.base}/v1/accounts`,
      recordsPath: '$',
      pagination: { type: 'none' },
      auth: { type: 'bearer', token: 'tok-secret-123' },
      retry: { maxRetries: 0 },
      addresses: LOCAL_TEST_ADDRESSES,
      ...config,
    });
    connectors.push(connector);
    return connector;
  };

  describe('endless pagination', () => {
    it('fails a sync whose API hands back the cursor it was just given', async () => {
      api.handler = (request, response) => {
        const after = new URL(request.url ?? '', api.base).searchParams.get('after');
        json(response, { data: [{ id: after ?? 'first' }], next: 'abc' });
      };
      const { pages, error } = await sync(make({ recordsPath: 'data', pagination: { type: 'cursor', cursorPath: 'next', cursorParam: 'after' } }));
      expect(error).toMatchObject({
        code: 'source_pagination_loop',
        message: `${api.base}/v1/accounts: the cursor at next leads back to a page this sync already read (after 2 pages), so the read would never end`,
      });
      expect(pages).toBe(1);
      expect(api.requests.map((request) => request.url)).toEqual(['/v1/accounts', '/v1/accounts?after=abc']);
    });

    it('fails a sync whose API ignores the offset parameter and serves the same page again', async () => {
      api.handler = (_request, response) => json(response, [{ id: 1 }, { id: 2 }]);
      const { pages, error } = await sync(make({ pagination: { type: 'offset', offsetParam: 'skip', limitParam: 'take', limit: 2 } }));
      expect(error).toMatchObject({
        code: 'source_pagination_loop',
        message: `${api.base}/v1/accounts: page 2 has the same records as page 1; the API seems to ignore the "skip" parameter, so the read would never end`,
      });
      expect(pages).toBe(1);
      expect(api.requests).toHaveLength(2);
    });

    it('fails a sync whose Link rel="next" points at the page itself', async () => {
      api.handler = (request, response) => json(response, [{ id: 1 }], { link: `<${api.base}${request.url}>; rel="next"` });
      const { pages, error } = await sync(make({ pagination: { type: 'link' } }));
      expect(error).toMatchObject({ code: 'source_pagination_loop', message: expect.stringContaining('the Link rel="next" header leads back to a page this sync already read (after 1 page)') });
      expect(pages).toBe(0);
      expect(api.requests).toHaveLength(1);
    });

    it('stops at maxPages an API that invents a new cursor for every page', async () => {
      api.handler = (request, response) => {
        const page = Number(new URL(request.url ?? '', api.base).searchParams.get('page') ?? 1);
        json(response, { data: [{ id: page }], next: String(page + 1) });
      };
      const { pages, error } = await sync(make({ recordsPath: 'data', pagination: { type: 'cursor', cursorPath: 'next', cursorParam: 'page' }, maxPages: 5 }));
      expect(error).toMatchObject({ code: 'source_too_many_pages', message: `${api.base}/v1/accounts: more than 5 pages in one sync, the most a sync reads (maxPages)` });
      expect(pages).toBe(5);
      expect(api.requests).toHaveLength(5);
    });

    it('reads the same pages again in the next sync: the repeat check is per sync', async () => {
      api.handler = (request, response) => {
        const page = Number(new URL(request.url ?? '', api.base).searchParams.get('page') ?? 1);
        json(response, { data: [{ id: page }], next: page < 3 ? String(page + 1) : null });
      };
      const connector = make({ recordsPath: 'data', pagination: { type: 'cursor', cursorPath: 'next', cursorParam: 'page' } });
      expect(await sync(connector)).toEqual({ pages: 3, error: null });
      expect(await sync(connector)).toEqual({ pages: 3, error: null });
    });

    it('is not fooled by a caller retrying a page whose request failed', async () => {
      let failed = false;
      api.handler = (request, response) => {
        const page = Number(new URL(request.url ?? '', api.base).searchParams.get('page') ?? 1);
        if (page === 2 && !failed) {
          failed = true;
          response.writeHead(502);
          return void response.end();
        }
        json(response, { data: [{ id: page }], next: page < 2 ? '2' : null });
      };
      const connector = make({ recordsPath: 'data', pagination: { type: 'cursor', cursorPath: 'next', cursorParam: 'page' } });
      const first = await connector.readPage(null, { syncStart: true });
      await expect(connector.readPage(first.state, { syncStart: false })).rejects.toMatchObject({ code: 'source_unreachable' });
      const again = await connector.readPage(first.state, { syncStart: false });
      expect(again.kind === 'records' && [again.records, again.done]).toEqual([[{ id: 2 }], true]);
    });
  });

  describe('next pages on another origin', () => {
    it('fails the sync instead of following a Link to another origin, which gets no request and no token', async () => {
      api.handler = (_request, response) => json(response, [{ id: 1 }], { link: `<${other.base}/collect?page=2>; rel="next"` });
      const { pages, error } = await sync(make({ pagination: { type: 'link' } }));
      expect(error).toMatchObject({
        code: 'source_cross_origin_next_page',
        message: `${api.base}/v1/accounts: the Link rel="next" header points to ${other.base}, another origin than the source's ${api.base}; the source's credentials are sent to its own origin only`,
      });
      expect(pages).toBe(0);
      expect(other.requests).toEqual([]);
    });

    it('treats the same host on another scheme or port as another origin', async () => {
      const sameHostOtherScheme = api.base.replace('http:', 'https:');
      api.handler = (_request, response) => json(response, [{ id: 1 }], { link: `<${sameHostOtherScheme}/v1/accounts?page=2>; rel="next"` });
      await expect(sync(make({ pagination: { type: 'link' } }))).resolves.toMatchObject({ error: { code: 'source_cross_origin_next_page' } });
    });

    it('follows a cursor that is a whole URL on the same origin, with the credentials', async () => {
      api.handler = (request, response) => {
        const page = Number(new URL(request.url ?? '', api.base).searchParams.get('page') ?? 1);
        json(response, { results: [{ id: page }], next: page < 2 ? `${api.base}/v1/accounts?page=2` : null });
      };
      expect(await sync(make({ recordsPath: 'results', pagination: { type: 'cursor', cursorPath: 'next', cursorParam: 'cursor' } }))).toEqual({ pages: 2, error: null });
      expect(api.requests).toEqual([
        { url: '/v1/accounts', authorization: 'Bearer tok-secret-123' },
        { url: '/v1/accounts?page=2', authorization: 'Bearer tok-secret-123' },
      ]);
    });

    it('fails the sync on a cursor that is a URL on another origin', async () => {
      api.handler = (_request, response) => json(response, { results: [{ id: 1 }], next: `${other.base}/v1/accounts?page=2` });
      const { error } = await sync(make({ recordsPath: 'results', pagination: { type: 'cursor', cursorPath: 'next', cursorParam: 'cursor' } }));
      expect(error).toMatchObject({ code: 'source_cross_origin_next_page', message: expect.stringContaining(`the cursor at next points to ${other.base}`) });
      expect(other.requests).toEqual([]);
    });

    it('does not resume from a saved next page on another origin', async () => {
      const connector = make({ pagination: { type: 'link' }, auth: { type: 'api_key', value: 'k3y-secret', queryParam: 'key' } });
      await expect(connector.readPage({ v: 1, next: `${other.base}/collect?page=2` }, { syncStart: false })).rejects.toMatchObject({ code: 'source_cross_origin_next_page' });
      expect(other.requests).toEqual([]);
    });
  });

  it('refuses a page over the size limit, naming the URL without its API key', async () => {
    api.handler = (_request, response) => json(response, [{ id: 1, notes: 'n'.repeat(2048) }]);
    const connector = make({ url: `${api.base}/v1/accounts?status=active`, auth: { type: 'api_key', value: 'k3y-secret', queryParam: 'key' }, limits: { maxResponseBytes: 2048 } });
    const error = await connector.readPage(null, { syncStart: true }).catch((caught: Error) => caught);
    expect(error).toMatchObject({
      code: 'source_response_too_large',
      message: `${api.base}/v1/accounts answered with more than 2 KiB, the most one response may hold; ask the source for smaller pages`,
    });
    expect(api.requests[0]?.url).toBe('/v1/accounts?status=active&key=k3y-secret');
  });
});
