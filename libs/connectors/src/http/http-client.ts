import JSONbig from 'json-bigint';
import type { Readable } from 'node:stream';
import { Agent, RetryAgent, errors, request, type Dispatcher } from 'undici';
import { ConnectorError } from '../connector-errors';
import type { SourceAddressPolicy } from '../network/source-address-policy';
import { addressCheckedAgent } from './address-checked-agent';

export interface RetryPolicy {
  /** Attempts after the first; 429 and 5xx answers and connection resets are retried. Default 4. */
  maxRetries?: number;
  /** First backoff delay, doubled each retry (ignored when the server sends Retry-After). Default 500 ms. */
  minDelayMs?: number;
  /** Cap for both backoff and Retry-After. Default 30 s. */
  maxDelayMs?: number;
}

/**
 * Bounds on one request, so a source cannot exhaust a process's memory or hold a sync forever.
 * 16 MiB of JSON parses into roughly 45 MiB of heap (measured with typical records: ~2.8x the text);
 * the ingestion pods run two syncs at a time in a 256 MiB heap and the api parses a test page inside
 * its request, so 64 MiB pages (~180 MiB of heap each) would not fit. API pages are usually well under
 * 1 MiB; the Sheets connector reads a tab in ranges of about 200 000 cells (~6.5 MiB of JSON).
 */
export interface ResponseLimits {
  /** Most bytes of one answer read into memory (JSON pages, listings); file downloads stream and are not bounded. Default 16 MiB. */
  maxResponseBytes?: number;
  /**
   * Deadline for one request, retries and their waits included, besides undici's idle timeouts (a slow
   * drip of bytes resets those). Covers reading the whole answer, except a file download's body, which
   * streams for as long as the file takes. Default 120 s.
   */
  timeoutMs?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
/** An error answer's body is read only this far: the message quotes its first 300 characters. */
const ERROR_BODY_BYTES = 4096;

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/**
 * JSON with every number JavaScript cannot hold exactly (more than 15 significant characters: 64-bit
 * ids, long cursors) kept as its text, as connectors promise (connector.ts): JSON.parse would round
 * 1234567890123456789 to ...800, so neighbouring ids collided and rounded cursors skipped pages. A
 * `__proto__` key is dropped (never set as the prototype); a `constructor` key is kept as data.
 */
const exactJson = JSONbig({ storeAsString: true, protoAction: 'ignore', constructorAction: 'preserve' });

/**
 * GETs with rate-limit-aware retries, delegated to undici's RetryAgent: it honours Retry-After on 429
 * and 503 and backs off exponentially on other 5xx answers and network errors. Failures surface as
 * ConnectorErrors naming the host and status, never the URL's query (it may carry an API key).
 */
export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly agent: Agent;
  private readonly maxResponseBytes: number;
  private readonly timeoutMs: number;

  /** `addresses`: which hosts the requests may reach (checked per connection, docs/connectors.md "Private networks"). */
  constructor(addresses: SourceAddressPolicy, policy: RetryPolicy = {}, limits: ResponseLimits = {}) {
    this.maxResponseBytes = limits.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.timeoutMs = limits.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.agent = addressCheckedAgent(addresses, { connections: 4 });
    this.dispatcher = new RetryAgent(this.agent, {
      maxRetries: policy.maxRetries ?? 4,
      minTimeout: policy.minDelayMs ?? 500,
      maxTimeout: policy.maxDelayMs ?? 30_000,
      timeoutFactor: 2,
      retryAfter: true,
      methods: ['GET', 'HEAD'],
      statusCodes: [429, 500, 502, 503, 504],
    });
  }

  /**
   * A streamed answer (a file download). The deadline runs until the answer starts; its body then takes
   * as long as the file does, bounded by undici's idle timeout between chunks.
   */
  async get(url: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('request deadline', 'TimeoutError')), this.timeoutMs);
    try {
      return await this.send('GET', url, headers, deadline.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Headers only (validators such as ETag), the body left unread on the server. */
  async head(url: string, headers: Record<string, string> = {}): Promise<HttpResponse['headers']> {
    const response = await this.send('HEAD', url, headers, AbortSignal.timeout(this.timeoutMs));
    await (response.body as unknown as Dispatcher.ResponseData['body']).dump();
    return response.headers;
  }

  /** The whole answer as text, at most `maxResponseBytes` of it, within the deadline. */
  async getText(url: string, headers: Record<string, string> = {}): Promise<{ text: string; headers: HttpResponse['headers'] }> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const response = await this.send('GET', url, headers, signal);
    const declared = Number(response.headers['content-length']);
    if (declared > this.maxResponseBytes) {
      response.body.destroy();
      throw this.tooLarge(url);
    }
    const { bytes, truncated } = await this.readAtMost(url, response.body, this.maxResponseBytes, signal);
    if (truncated) throw this.tooLarge(url);
    return { text: new TextDecoder().decode(bytes), headers: response.headers };
  }

  private async send(method: 'GET' | 'HEAD', url: string, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, { method, headers, dispatcher: this.dispatcher, signal });
    } catch (error) {
      if (signal.aborted) throw this.timedOut(url, error);
      if (error instanceof errors.RequestRetryError) {
        throw new ConnectorError('source_unreachable', `${describe(url)} kept answering ${error.statusCode} after retries`, { cause: error });
      }
      throw new ConnectorError('source_unreachable', `Cannot reach ${describe(url)}: ${(error as Error).message}`, { cause: error });
    }
    if (response.statusCode >= 400) {
      const { bytes } = await this.readAtMost(url, response.body, ERROR_BODY_BYTES, signal);
      const text = new TextDecoder().decode(bytes).slice(0, 300);
      throw new ConnectorError('source_request_failed', `${describe(url)} answered ${response.statusCode}: ${text}`);
    }
    return { status: response.statusCode, headers: response.headers, body: response.body };
  }

  /**
   * Reads a body into memory, counting bytes as they arrive: past `limit` the connection is dropped
   * and the rest is never read (`truncated`).
   */
  private async readAtMost(url: string, body: Readable, limit: number, signal: AbortSignal): Promise<{ bytes: Buffer; truncated: boolean }> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body) {
        const buffer = chunk as Buffer;
        if (size + buffer.length > limit) {
          chunks.push(buffer.subarray(0, limit - size));
          body.destroy();
          return { bytes: Buffer.concat(chunks), truncated: true };
        }
        chunks.push(buffer);
        size += buffer.length;
      }
    } catch (error) {
      if (signal.aborted) throw this.timedOut(url, error);
      throw new ConnectorError('source_unreachable', `${describe(url)} broke off its answer: ${(error as Error).message}`, { cause: error });
    }
    return { bytes: Buffer.concat(chunks), truncated: false };
  }

  private tooLarge(url: string): ConnectorError {
    return new ConnectorError(
      'source_response_too_large',
      `${describe(url)} answered with more than ${formatBytes(this.maxResponseBytes)}, the most one response may hold; ask the source for smaller pages`,
    );
  }

  private timedOut(url: string, error: unknown): ConnectorError {
    return new ConnectorError('source_unreachable', `${describe(url)} did not answer within ${formatSeconds(this.timeoutMs)} (retries included)`, { cause: error });
  }

  async getJson(url: string, headers: Record<string, string> = {}): Promise<{ json: unknown; headers: HttpResponse['headers'] }> {
    const { text, headers: responseHeaders } = await this.getText(url, { accept: 'application/json', ...headers });
    try {
      return { json: exactJson.parse(text) as unknown, headers: responseHeaders };
    } catch {
      throw new ConnectorError('source_request_failed', `${describe(url)} did not answer with JSON`);
    }
  }

  async close(): Promise<void> {
    // Closing the RetryAgent closes the Agent it wraps.
    await this.dispatcher.close();
  }
}

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Method-free description of a URL for messages: scheme, host and path, no query string. */
export function describe(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the source URL';
  }
}
