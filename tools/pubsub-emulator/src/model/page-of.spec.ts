import { status } from '@grpc/grpc-js';
import { pageOf } from './page-of';

describe('pageOf', () => {
  const names = ['a', 'b', 'c', 'd', 'e'];

  it('returns everything without a page size', () => {
    expect(pageOf(names, 0, '')).toEqual({ items: names, nextPageToken: '' });
  });

  it('walks the pages with the returned tokens until the token is empty', () => {
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = pageOf(names, 2, token);
      seen.push(...page.items);
      token = page.nextPageToken;
      pages += 1;
    } while (token);
    expect(seen).toEqual(names);
    expect(pages).toBe(3);
  });

  it('rejects a token it did not issue', () => {
    expect(() => pageOf(names, 2, 'bogus')).toThrow(expect.objectContaining({ code: status.INVALID_ARGUMENT }));
  });
});
