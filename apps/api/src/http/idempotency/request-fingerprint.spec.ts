import { requestFingerprint } from './request-fingerprint';

describe('requestFingerprint', () => {
  it('ignores key order but not values, method or URL', () => {
    const base = requestFingerprint('POST', '/v1/metrics/refresh', { a: 1, b: { c: [1, 2] } });
    expect(requestFingerprint('POST', '/v1/metrics/refresh', { b: { c: [1, 2] }, a: 1 })).toBe(base);
    expect(requestFingerprint('POST', '/v1/metrics/refresh', { a: 1, b: { c: [2, 1] } })).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/other', { a: 1, b: { c: [1, 2] } })).not.toBe(base);
  });

  it('treats no body as the empty object, and both differently from a non-empty one', () => {
    expect(requestFingerprint('POST', '/x', undefined)).toBe(requestFingerprint('POST', '/x', {}));
    expect(requestFingerprint('POST', '/x', undefined)).toBe(requestFingerprint('POST', '/x', null));
    expect(requestFingerprint('POST', '/x', {})).not.toBe(requestFingerprint('POST', '/x', { asOf: '2026-01-01' }));
  });

  it('ignores the order of query parameters, but not their values', () => {
    const base = requestFingerprint('POST', '/v1/imports/orders?mode=replace&maxRejectedShare=0.05', {});
    expect(requestFingerprint('POST', '/v1/imports/orders?maxRejectedShare=0.05&mode=replace', {})).toBe(base);
    expect(requestFingerprint('POST', '/v1/imports/orders?maxRejectedShare=0.5&mode=replace', {})).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/imports/orders', {})).not.toBe(base);
  });
});
