import { invalidArgument } from '../api/api-error';

export interface Page<T> {
  readonly items: T[];
  /** Empty when this is the last page, which is how the client library knows to stop. */
  readonly nextPageToken: string;
}

/**
 * One page of `items` (already in a stable order) for List* calls. The token is the offset, encoded so
 * callers treat it as opaque; a page size of 0 means "the server's choice", which here is everything.
 */
export function pageOf<T>(items: readonly T[], pageSize: number, pageToken: string): Page<T> {
  const start = pageToken ? decodeOffsetOrThrow(pageToken) : 0;
  const end = pageSize > 0 ? start + pageSize : items.length;
  return {
    items: items.slice(start, end),
    nextPageToken: end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : '',
  };
}

function decodeOffsetOrThrow(pageToken: string): number {
  const match = /^offset:(\d+)$/.exec(Buffer.from(pageToken, 'base64url').toString('utf8'));
  if (!match) throw invalidArgument(`Invalid page token: ${pageToken}`);
  return Number(match[1]);
}
