import { SecretBox } from '@pulse/crypto';
import { credentialNames, openCredentials, sealCredentials, secretValues } from './credentials';
import { SecretScrubber } from './secret-scrubber';

describe('source credentials', () => {
  const box = SecretBox.fromBase64(SecretBox.generateKey());

  it('seals to text that contains no secret and opens back to the same values', () => {
    const sealed = sealCredentials(box, { password: 'hunter2-db', apiKey: 'ak_live_123' });
    expect(sealed).not.toContain('hunter2-db');
    expect(sealed).not.toContain('ak_live_123');
    expect(openCredentials(box, sealed)).toEqual({ password: 'hunter2-db', apiKey: 'ak_live_123' });
    expect(credentialNames(openCredentials(box, sealed))).toEqual(['apiKey', 'password']);
  });

  it('says clearly when the key cannot open them, and rejects unknown credential names', () => {
    const other = SecretBox.fromBase64(SecretBox.generateKey());
    expect(() => openCredentials(other, sealCredentials(box, { password: 'x' }))).toThrow('cannot be decrypted with the configured key');
    expect(() => sealCredentials(box, { pasword: 'typo' } as never)).toThrow();
  });
});

describe('SecretScrubber', () => {
  it('removes secrets in plain, URL-encoded and base64 forms, and PEM keys line by line', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----';
    const scrubber = new SecretScrubber(secretValues({ password: 'p@ss/word!', token: 'tok', sshPrivateKey: pem }));
    expect(scrubber.scrub('postgres://u:p%40ss%2Fword!@h/db failed with p@ss/word!')).toBe('postgres://u:[redacted]@h/db failed with [redacted]');
    expect(scrubber.scrub(`Basic ${Buffer.from('p@ss/word!').toString('base64')}`)).toBe('Basic [redacted]==');
    expect(scrubber.scrub('key line MIIEvQIBADANBgkqhkiG9w0BAQEFAASC leaked')).toBe('key line [redacted] leaked');
    // Too short to scrub without mangling ordinary text.
    expect(scrubber.scrub('the token is tok')).toBe('the token is tok');
  });
});

describe('SecretScrubber, echoes that are not the exact secret', () => {
  const token = 'TopSecretTokenValue1234567890';
  const scrubber = new SecretScrubber([token, 'hunter2-db']);

  it('removes a secret whatever its case', () => {
    expect(scrubber.scrub(`lower=bearer ${token.toLowerCase()} upper=${token.toUpperCase()}`)).toBe('lower=bearer [redacted] upper=[redacted]');
    expect(scrubber.scrub('password HUNTER2-DB rejected')).toBe('password [redacted] rejected');
  });

  it('removes every run of ten or more characters of a long secret, as one [redacted] per run', () => {
    // The review's case: a server echoing the token's tail, and its head cut short.
    expect(scrubber.scrub('tail=TokenValue1234567890 head=TopSecretTok…')).toBe('tail=[redacted] head=[redacted]…');
    expect(scrubber.scrub('two pieces: 1234567890 and secrettoken')).toBe('two pieces: [redacted] and [redacted]');
  });

  it('leaves shorter pieces, and pieces of short secrets (passwords), alone', () => {
    expect(scrubber.scrub('Token value 123456789 expired')).toBe('Token value 123456789 expired');
    expect(scrubber.scrub('hunter2 guessed')).toBe('hunter2 guessed');
  });
});
