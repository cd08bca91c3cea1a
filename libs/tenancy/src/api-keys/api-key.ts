import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Tenant API keys look like `pulse_<prefix>_<secret>`. The prefix (public, unique) finds the key's row;
 * only a SHA-256 hash of the secret is stored. The secret has 190 bits of entropy, so a fast hash is
 * enough (slow password hashes protect guessable secrets, and would cost every API request).
 */
const KEY_PATTERN = /^pulse_([A-Za-z0-9]{12})_([A-Za-z0-9]{32})$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface IssuedApiKey {
  /** The whole key, shown to the operator once. */
  token: string;
  prefix: string;
  secretHash: string;
}

function randomBase62(length: number): string {
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function issueApiKey(): IssuedApiKey {
  const prefix = randomBase62(12);
  const secret = randomBase62(32);
  return { token: `pulse_${prefix}_${secret}`, prefix, secretHash: hashApiKeySecret(secret) };
}

/** The prefix and secret of a well-formed key, or undefined for anything else. */
export function parseApiKey(token: string): { prefix: string; secret: string } | undefined {
  const match = KEY_PATTERN.exec(token);
  return match ? { prefix: match[1] as string, secret: match[2] as string } : undefined;
}

/** Compares in constant time, so response timing reveals nothing about the stored hash. */
export function apiKeySecretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashApiKeySecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
