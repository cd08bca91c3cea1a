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

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/**
 * GETs with rate-limit-aware retries, delegated to undici's RetryAgent: it honours Retry-After on 429
 * and 503 and backs off exponentially on other 5xx answers and network errors. Failures surface as
 * ConnectorErrors naming the host and status, never the URL's query (it may carry an API key).
 */
export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly agent: Agent;

  /** `addresses`: which hosts the requests may reach (checked per connection, docs/connectors.md "Private networks"). */
  constructor(addresses: SourceAddressPolicy, policy: RetryPolicy = {}) {
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

  async get(url: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    return this.send('GET', url, headers);
  }

  /** Headers only (validators such as ETag), the body left unread on the server. */
  async head(url: string, headers: Record<string, string> = {}): Promise<HttpResponse['headers']> {
    const response = await this.send('HEAD', url, headers);
    await (response.body as unknown as Dispatcher.ResponseData['body']).dump();
    return response.headers;
  }

  private async send(method: 'GET' | 'HEAD', url: string, headers: Record<string, string>): Promise<HttpResponse> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, { method, headers, dispatcher: this.dispatcher });
    } catch (error) {
      if (error instanceof errors.RequestRetryError) {
        throw new ConnectorError('source_unreachable', `${describe(url)} kept answering ${error.statusCode} after retries`, { cause: error });
      }
      throw new ConnectorError('source_unreachable', `Cannot reach ${describe(url)}: ${(error as Error).message}`, { cause: error });
    }
    if (response.statusCode >= 400) {
      const text = (await response.body.text()).slice(0, 300);
      throw new ConnectorError('source_request_failed', `${describe(url)} answered ${response.statusCode}: ${text}`);
    }
    return { status: response.statusCode, headers: response.headers, body: response.body };
  }

  async getJson(url: string, headers: Record<string, string> = {}): Promise<{ json: unknown; headers: HttpResponse['headers'] }> {
    const response = await this.get(url, { accept: 'application/json', ...headers });
    const text = await (response.body as unknown as Dispatcher.ResponseData['body']).text();
    try {
      return { json: JSON.parse(text) as unknown, headers: response.headers };
    } catch {
      throw new ConnectorError('source_request_failed', `${describe(url)} did not answer with JSON`);
    }
  }

  async close(): Promise<void> {
    // Closing the RetryAgent closes the Agent it wraps.
    await this.dispatcher.close();
  }
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
