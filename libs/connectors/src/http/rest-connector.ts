import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { DiscoveredStream, JsonValue, ReadOptions, SourceConnector, SourcePage, SourceRecord, StreamState } from '../connector';
import { ConnectorError } from '../connector-errors';
import type { SourceAddressPolicy } from '../network/source-address-policy';
import { describe, HttpClient, type ResponseLimits, type RetryPolicy } from './http-client';
import { inferColumns } from './infer-columns';
import { PageTrail } from './page-trail';

export type RestPagination =
  | { type: 'none' }
  /**
   * The next page's token is at `cursorPath` in the body and goes back as query parameter `cursorParam`;
   * a token that is a whole http(s) URL is the next page's URL (it must be on the source's origin).
   */
  | { type: 'cursor'; cursorPath: string; cursorParam: string }
  /** RFC 8288 `Link: <...>; rel="next"` header (GitHub, Shopify, ...), followed on the source's origin only. */
  | { type: 'link' }
  /** `offsetParam`/`limitParam` query parameters; a short page ends the read. */
  | { type: 'offset'; offsetParam: string; limitParam: string; limit: number };

export type RestAuth =
  | { type: 'none' }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string }
  | { type: 'api_key'; value: string; header?: string; queryParam?: string };

export interface RestStreamConfig {
  url: string;
  /** Where the records array is in each response: `$` for a top-level array, `$.data.items`, `results`. */
  recordsPath: string;
  pagination: RestPagination;
  auth: RestAuth;
  headers?: Record<string, string>;
  retry?: RetryPolicy;
  /** Response size and deadline per request (defaults in http-client.ts). */
  limits?: ResponseLimits;
  /** Most pages one sync reads (default DEFAULT_MAX_PAGES). */
  maxPages?: number;
  /** Which hosts the requests may reach (the operator's allow-list of private networks). */
  addresses: SourceAddressPolicy;
}

const restStateSchema = z.object({ v: z.literal(1), next: z.string().nullable() });

/** Follows a dotted path (`$.data.items`, `data.items`, `$`) into parsed JSON. */
export function valueAtPath(document: unknown, path: string): unknown {
  const segments = path.replace(/^\$\.?/, '').split('.').filter((segment) => segment.length > 0);
  let current: unknown = document;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** The `rel="next"` target of an RFC 8288 Link header, resolved against the request URL. */
export function nextLink(header: string | string[] | undefined, base: string): string | null {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return null;
  for (const part of value.split(/,(?=\s*<)/)) {
    const match = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (match && /(^|;)\s*rel="?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(match[2] as string)) return new URL(match[1] as string, base).toString();
  }
  return null;
}

/** A digest of a page's records, record by record (no second copy of a large page as one string). */
function fingerprintOf(records: SourceRecord[]): string {
  const hash = createHash('sha256');
  for (const record of records) hash.update(JSON.stringify(record)).update('\n');
  return hash.digest('base64');
}

/**
 * A JSON API read page by page. Each sync reads the endpoint from its first page (APIs rarely offer a
 * reliable change cursor), and the state carries the next page's URL so an interrupted sync resumes
 * where it stopped; rows are upserted by key and a complete read can drive delete detection.
 */
export class RestConnector implements SourceConnector {
  readonly kind = 'rest';
  private readonly http: HttpClient;
  /**
   * The current sync's pages, to stop an API that leads back to a page already read. A run starts at
   * `syncStart` or after a page that ended the previous run; `previous` fingerprints the last page's records.
   */
  private run: { trail: PageTrail; previous: string | null } | null = null;

  constructor(private readonly config: RestStreamConfig) {
    this.http = new HttpClient(config.addresses, config.retry, config.limits);
    if (!/^https?:\/\//.test(config.url)) throw new ConnectorError('invalid_source_config', 'A REST source URL must start with http:// or https://');
  }

  async discover(): Promise<DiscoveredStream[]> {
    const { records } = await this.fetchPage(this.firstUrl());
    return [{ name: describe(this.config.url), columns: inferColumns(records), primaryKey: [] }];
  }

  async readPage(state: StreamState | null, options: ReadOptions): Promise<SourcePage> {
    const saved = state === null ? null : restStateSchema.safeParse(state);
    if (saved && !saved.success) throw new ConnectorError('invalid_sync_state', 'The saved sync state is not a REST page position');
    const url = options.syncStart || !saved?.data.next ? this.firstUrl() : saved.data.next;
    if (options.syncStart || this.run === null) this.run = { trail: new PageTrail(describe(this.config.url), this.config.maxPages), previous: null };
    const run = this.run;
    run.trail.assertMayRead(url, 'the saved next page');
    const { records, next } = await this.fetchPage(url);
    // Recorded once read: a caller that retries a page after a failed request is not taken for a loop.
    run.trail.record(url);
    if (next !== null) {
      // Checked before the page is handed on, so no stored state ever points at a loop or another origin.
      this.assertSameOrigin(next, this.nextPageSource());
      if (run.trail.has(next)) throw run.trail.loop(this.nextPageSource());
    }
    const fingerprint = records.length === 0 ? null : fingerprintOf(records);
    if (fingerprint !== null && fingerprint === run.previous && next !== null) {
      const pagination = this.config.pagination;
      const hint = pagination.type === 'offset' ? `; the API seems to ignore the "${pagination.offsetParam}" parameter` : '';
      throw new ConnectorError(
        'source_pagination_loop',
        `${describe(this.config.url)}: page ${run.trail.pages} has the same records as page ${run.trail.pages - 1}${hint}, so the read would never end`,
      );
    }
    run.previous = fingerprint;
    if (next === null) this.run = null;
    return { kind: 'records', records, state: { v: 1, next }, done: next === null };
  }

  /** Where the next page's position comes from, as error messages name it. */
  private nextPageSource(): string {
    const pagination = this.config.pagination;
    switch (pagination.type) {
      case 'cursor':
        return `the cursor at ${pagination.cursorPath}`;
      case 'link':
        return 'the Link rel="next" header';
      default:
        return 'the next page';
    }
  }

  /**
   * The source's credentials go to its own origin (scheme, host and port of `url`) only: a next page
   * elsewhere stops the sync rather than being read with or without them.
   */
  private assertSameOrigin(url: string, how: string): void {
    const origin = new URL(this.config.url).origin;
    const target = new URL(url).origin;
    if (target !== origin) {
      throw new ConnectorError(
        'source_cross_origin_next_page',
        `${describe(this.config.url)}: ${how} points to ${target}, another origin than the source's ${origin}; the source's credentials are sent to its own origin only`,
      );
    }
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private firstUrl(): string {
    const url = new URL(this.config.url);
    const pagination = this.config.pagination;
    if (pagination.type === 'offset') {
      url.searchParams.set(pagination.offsetParam, '0');
      url.searchParams.set(pagination.limitParam, String(pagination.limit));
    }
    return url.toString();
  }

  /**
   * An API key sent as a query parameter is added only to the outgoing request and removed from any
   * next-page URL, so it never lands in the stored sync state.
   */
  private withApiKey(url: string): string {
    const auth = this.config.auth;
    if (auth.type !== 'api_key' || !auth.queryParam) return url;
    const withKey = new URL(url);
    withKey.searchParams.set(auth.queryParam, auth.value);
    return withKey.toString();
  }

  private withoutApiKey(url: string | null): string | null {
    const auth = this.config.auth;
    if (url === null || auth.type !== 'api_key' || !auth.queryParam) return url;
    const stripped = new URL(url);
    stripped.searchParams.delete(auth.queryParam);
    return stripped.toString();
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { ...this.config.headers };
    const auth = this.config.auth;
    if (auth.type === 'bearer') headers['authorization'] = `Bearer ${auth.token}`;
    if (auth.type === 'basic') headers['authorization'] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    if (auth.type === 'api_key' && !auth.queryParam) headers[(auth.header ?? 'x-api-key').toLowerCase()] = auth.value;
    return headers;
  }

  private async fetchPage(url: string): Promise<{ records: SourceRecord[]; next: string | null }> {
    // Also guards a next-page URL saved before origins were checked.
    this.assertSameOrigin(url, 'the saved next page');
    const { json, headers } = await this.http.getJson(this.withApiKey(url), this.headers());
    const found = valueAtPath(json, this.config.recordsPath);
    if (!Array.isArray(found)) {
      throw new ConnectorError('source_request_failed', `${describe(url)}: no array of records at ${this.config.recordsPath}`);
    }
    const records = found.map((item, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw new ConnectorError('source_request_failed', `${describe(url)}: record ${index} at ${this.config.recordsPath} is not an object`);
      }
      return item as SourceRecord;
    });
    return { records, next: this.withoutApiKey(this.nextUrl(url, json, headers, records.length)) };
  }

  private nextUrl(url: string, body: unknown, headers: Record<string, string | string[] | undefined>, count: number): string | null {
    const pagination = this.config.pagination;
    switch (pagination.type) {
      case 'none':
        return null;
      case 'link':
        return nextLink(headers['link'], url);
      case 'cursor': {
        const token = valueAtPath(body, pagination.cursorPath) as JsonValue | undefined;
        if (token === undefined || token === null || token === '') return null;
        const next = cursorUrl(url, token, pagination.cursorParam);
        // An empty page with a cursor to another page is not the end (an API that filters records after
        // paging them, as Jira's does): stopping there made a full read look complete and delete the rest.
        // An empty page that gives back its own cursor is.
        if (count === 0 && next === new URL(url).toString()) return null;
        return next;
      }
      case 'offset': {
        // Only an empty page ends the read: an API may serve fewer records than `limit` asks for (a
        // smaller cap of its own), and a short page taken for the last one ended a full read early.
        if (count === 0) return null;
        const next = new URL(url);
        next.searchParams.set(pagination.offsetParam, String(Number(next.searchParams.get(pagination.offsetParam) ?? 0) + count));
        return next.toString();
      }
    }
  }
}

/** The page a cursor names: some APIs (Django REST framework, Zendesk, ...) give the next page's whole URL. */
function cursorUrl(url: string, token: JsonValue, cursorParam: string): string {
  if (typeof token === 'string' && /^https?:\/\//i.test(token)) return new URL(token).toString();
  const next = new URL(url);
  next.searchParams.set(cursorParam, String(token));
  return next.toString();
}
