import { matchesIfNoneMatch, weakEtag } from './etag.hook';

describe('ETag', () => {
  const etag = weakEtag('{"a":1}');

  it('is a weak tag that changes with the body', () => {
    expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]{32}"$/);
    expect(weakEtag('{"a":2}')).not.toBe(etag);
  });

  it('matches If-None-Match weakly, in a list, or with *', () => {
    expect(matchesIfNoneMatch(etag, etag)).toBe(true);
    expect(matchesIfNoneMatch(etag.slice(2), etag)).toBe(true);
    expect(matchesIfNoneMatch(`"other", ${etag}`, etag)).toBe(true);
    expect(matchesIfNoneMatch('*', etag)).toBe(true);
    expect(matchesIfNoneMatch('"other"', etag)).toBe(false);
    expect(matchesIfNoneMatch(undefined, etag)).toBe(false);
  });
});
