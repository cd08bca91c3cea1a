import { assertSingleAuthorizationHeader, hasRepeatedAuthorization } from './authorization-header';
import { DomainError } from './domain-error';

describe('hasRepeatedAuthorization', () => {
  it('finds a second Authorization header in any case, and only among header names', () => {
    expect(hasRepeatedAuthorization([])).toBe(false);
    expect(hasRepeatedAuthorization(['Host', 'a.example', 'Authorization', 'Bearer x'])).toBe(false);
    expect(hasRepeatedAuthorization(['Authorization', 'Bearer x', 'Host', 'a.example', 'authorization', 'Bearer y'])).toBe(true);
    expect(hasRepeatedAuthorization(['AUTHORIZATION', 'Bearer x', 'Authorization', 'Bearer x'])).toBe(true);
    // A value that reads "authorization" is no header name; neither is a longer name.
    expect(hasRepeatedAuthorization(['Authorization', 'Bearer x', 'X-Note', 'authorization'])).toBe(false);
    expect(hasRepeatedAuthorization(['Authorization', 'Bearer x', 'Proxy-Authorization', 'Basic y', 'X-Authorization', 'z'])).toBe(false);
  });
});

describe('assertSingleAuthorizationHeader', () => {
  function replyRecorder() {
    const headers: Record<string, string> = {};
    return { headers, header: (name: string, value: string) => (headers[name] = value) };
  }

  it('lets a request with at most one Authorization header through, setting nothing', () => {
    const reply = replyRecorder();
    expect(() => assertSingleAuthorizationHeader(['Authorization', 'Bearer x'], reply)).not.toThrow();
    expect(() => assertSingleAuthorizationHeader([], reply)).not.toThrow();
    expect(reply.headers).toEqual({});
  });

  it('refuses two as invalid input (400) with an invalid_request challenge', () => {
    const reply = replyRecorder();
    let thrown: unknown;
    try {
      assertSingleAuthorizationHeader(['authorization', 'Bearer a', 'Authorization', 'Bearer b'], reply);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({ kind: 'invalid_input', code: 'auth.multiple_authorization_headers', message: 'Send one Authorization header, not several.' });
    expect(reply.headers).toEqual({ 'www-authenticate': 'Bearer error="invalid_request"' });
  });
});
