import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so `{a,b}` and `{b,a}` are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The URL with its query parameters in name order, so `?a=1&b=2` and `?b=2&a=1` are the same request. */
function canonicalUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const params = new URLSearchParams(url.slice(query + 1));
  params.sort();
  return `${url.slice(0, query)}?${params.toString()}`;
}

/**
 * What an Idempotency-Key is bound to: the method, the URL (path and query parameters) and the body. No
 * body is the empty object, as the routes take it (docs/api.md): a retry that adds or drops `{}` is the
 * same request.
 */
export function requestFingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${canonicalUrl(url)}\n${canonicalJson(body ?? {})}`).digest('hex');
}
