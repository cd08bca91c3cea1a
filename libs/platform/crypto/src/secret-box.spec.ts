import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const box = SecretBox.fromBase64(SecretBox.generateKey());

  it('round-trips a secret and never produces the same ciphertext twice', () => {
    const first = box.encrypt('p@ss wörd');
    const second = box.encrypt('p@ss wörd');

    expect(first).not.toBe(second);
    expect(first).not.toContain('p@ss');
    expect(box.decrypt(first)).toBe('p@ss wörd');
    expect(box.decrypt(second)).toBe('p@ss wörd');
  });

  it('refuses a tampered value', () => {
    const [version, iv, tag, ciphertext] = box.encrypt('secret').split(':');
    const flipped = Buffer.from(ciphertext ?? '', 'base64');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => box.decrypt([version, iv, tag, flipped.toString('base64')].join(':'))).toThrow();
  });

  it('refuses a value sealed with another key', () => {
    const other = SecretBox.fromBase64(SecretBox.generateKey());
    expect(() => other.decrypt(box.encrypt('secret'))).toThrow();
  });

  it('refuses keys of the wrong size and values of another format', () => {
    expect(() => SecretBox.fromBase64(Buffer.alloc(16).toString('base64'))).toThrow('32-byte key, got 16 bytes');
    expect(() => box.decrypt('plain text')).toThrow('Not a value sealed by SecretBox v1');
  });
});
