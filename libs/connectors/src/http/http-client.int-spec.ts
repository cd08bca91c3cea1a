import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_TEST_ADDRESSES } from '../network/local-networks.int-kit';
import { HttpClient } from './http-client';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A local server whose answers each test scripts; it records whether each answer was sent to its end. */
class LocalServer {
  handler: Handler = (_request, response) => response.end();
  /** Per request: 'finished' (the whole answer was written) or 'closed' (the client hung up first). */
  readonly outcomes: Promise<'finished' | 'closed'>[] = [];
  base = '';
  private server!: Server;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.outcomes.push(new Promise((resolve) => response.on('close', () => resolve(response.writableFinished ? 'finished' : 'closed'))));
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

/** Writes `total` bytes of `fill` in 16 KiB chunks, honouring back-pressure, and stops if the client goes away. */
function stream(response: ServerResponse, total: number, fill = 'x', end = ''): void {
  const chunk = Buffer.alloc(16 * 1024, fill);
  let sent = 0;
  const pump = (): void => {
    while (sent < total && !response.destroyed) {
      const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
      sent += piece.length;
      if (!response.write(piece)) return void response.once('drain', pump);
    }
    if (!response.destroyed) response.end(end);
  };
  pump();
}

describe('HttpClient limits against a local server', () => {
  const server = new LocalServer();
  const clients: HttpClient[] = [];
  const client = (limits: ConstructorParameters<typeof HttpClient>[2]) => {
    const made = new HttpClient(LOCAL_TEST_ADDRESSES, { maxRetries: 0 }, limits);
    clients.push(made);
    return made;
  };
  beforeAll(() => server.start());
  afterAll(() => server.stop());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((made) => made.close()));
    server.outcomes.length = 0;
  });

  it('reads an answer of exactly the limit and refuses one byte more, streamed without a Content-Length', async () => {
    const limit = 4096;
    let size = limit;
    server.handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      // ["xxx…"]: a JSON document of exactly `size` bytes.
      response.write('["');
      stream(response, size - 4, 'x', '"]');
    };
    const fits = await client({ maxResponseBytes: limit }).getJson(`${server.base}/export?page=1`);
    expect((fits.json as string[])[0]).toHaveLength(limit - 4);

    size = limit + 1;
    const error = await client({ maxResponseBytes: limit }).getJson(`${server.base}/export?page=1`).catch((caught: Error) => caught);
    expect(error).toMatchObject({
      code: 'source_response_too_large',
      message: `${server.base}/export answered with more than 4 KiB, the most one response may hold; ask the source for smaller pages`,
    });
  });

  it('stops reading an endless answer at the limit instead of buffering it', async () => {
    server.handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('[');
      stream(response, 64 * 1024 * 1024); // 64 MiB: the client has to hang up long before the end.
    };
    await expect(client({ maxResponseBytes: 64 * 1024 }).getJson(`${server.base}/huge`)).rejects.toMatchObject({ code: 'source_response_too_large' });
    expect(await server.outcomes[0]).toBe('closed');
  });

  it('refuses an answer whose Content-Length is over the limit before reading it', async () => {
    server.handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(8 * 1024 * 1024) });
      stream(response, 8 * 1024 * 1024);
    };
    await expect(client({ maxResponseBytes: 1024 * 1024 }).getJson(`${server.base}/declared`)).rejects.toMatchObject({
      code: 'source_response_too_large',
      message: expect.stringContaining('more than 1 MiB'),
    });
    expect(await server.outcomes[0]).toBe('closed');
  });

  it("quotes the start of an error answer without reading the rest of it", async () => {
    server.handler = (_request, response) => {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.write('no such export; ');
      stream(response, 64 * 1024 * 1024, 'e');
    };
    const error = await client({}).getJson(`${server.base}/missing?key=secret`).catch((caught: Error) => caught);
    expect(error).toMatchObject({ code: 'source_request_failed', message: `${server.base}/missing answered 404: no such export; ${'e'.repeat(300 - 16)}` });
    expect(await server.outcomes[0]).toBe('closed');
  });

  it('gives up on an answer that trickles in past the deadline, although bytes keep arriving', async () => {
    server.handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('[');
      // A byte every 50 ms resets undici's idle timeouts forever; only the overall deadline ends this.
      const drip = setInterval(() => (response.destroyed ? clearInterval(drip) : response.write(' ')), 50);
    };
    const started = Date.now();
    const error = await client({ timeoutMs: 600 }).getJson(`${server.base}/slow`).catch((caught: Error) => caught);
    expect(error).toMatchObject({ code: 'source_unreachable', message: `${server.base}/slow did not answer within 600 ms (retries included)` });
    expect(Date.now() - started).toBeLessThan(3000);
  }, 10_000);

  it('gives up when no answer starts before the deadline', async () => {
    server.handler = () => undefined; // never answers
    await expect(client({ timeoutMs: 300 }).getJson(`${server.base}/silent`)).rejects.toMatchObject({ code: 'source_unreachable', message: expect.stringContaining('did not answer within 300 ms') });
  }, 10_000);

  it('lets a file download stream for longer than the deadline once it has started', async () => {
    server.handler = (_request, response) => {
      // The answer starts at once (headers and a first row), then runs for 2.4 s: twice the deadline.
      response.writeHead(200, { 'content-type': 'text/csv' });
      response.write('1\n');
      let row = 1;
      const rows = setInterval(() => {
        row += 1;
        if (row > 8) return void (clearInterval(rows), response.end());
        response.write(`${row}\n`);
      }, 300);
    };
    const download = await client({ timeoutMs: 1_200 }).get(`${server.base}/export.csv`);
    const chunks: Buffer[] = [];
    for await (const chunk of download.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('1\n2\n3\n4\n5\n6\n7\n8\n');
  }, 10_000);
});
