import { apiKeySecretMatches, issueApiKey, parseApiKey } from './api-key';

describe('API keys', () => {
  it('issues keys whose secret matches only their own hash', () => {
    const key = issueApiKey();
    const parsed = parseApiKey(key.token);

    expect(key.token).toMatch(/^pulse_[A-Za-z0-9]{12}_[A-Za-z0-9]{32}$/);
    expect(parsed?.prefix).toBe(key.prefix);
    expect(key.secretHash).not.toContain(parsed?.secret ?? '?');
    expect(apiKeySecretMatches(parsed?.secret ?? '', key.secretHash)).toBe(true);
    expect(apiKeySecretMatches(parsed?.secret ?? '', issueApiKey().secretHash)).toBe(false);
  });

  it('never issues the same key twice', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => issueApiKey().token));
    expect(tokens.size).toBe(1000);
  });

  it.each(['', 'Bearer x', 'pulse_short_x', `pulse_${'a'.repeat(12)}_${'b'.repeat(31)}`, `pulse_${'a'.repeat(12)}_${'b'.repeat(32)}\n`])(
    'does not parse %j',
    (token) => {
      expect(parseApiKey(token)).toBeUndefined();
    },
  );

  it('refuses a malformed stored hash instead of throwing', () => {
    expect(apiKeySecretMatches('x'.repeat(32), 'abc')).toBe(false);
  });
});
