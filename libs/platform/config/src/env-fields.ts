import { z } from 'zod';
import { Secret, secretUrl } from './secret';

/** Field builders for flat environment variables. Each yields a clear message on bad input. */

export function port(defaultPort: number) {
  return z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole port number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .default(defaultPort);
}

export function positiveInt(defaultValue: number) {
  return z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .positive('must be greater than 0')
    .default(defaultValue);
}

export function postgresUrl() {
  return z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
    .transform((url) => secretUrl(url));
}

export function secretString(minLength = 1) {
  return z
    .string({ error: 'is required' })
    .min(minLength, `must be at least ${minLength} characters`)
    .transform((value) => new Secret(value));
}

export const nodeEnv = z
  .enum(['development', 'test', 'production'], { error: 'must be development, test or production' })
  .default('development');

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: 'must be one of fatal, error, warn, info, debug, trace, silent',
  })
  .default('info');

export const logFormat = z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).optional();

/** A base64-encoded 32-byte key (AES-256), e.g. from `openssl rand -base64 32`. */
export function encryptionKey() {
  return z
    .string({ error: 'is required' })
    .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)')
    .transform((value) => new Secret(value));
}

/**
 * A DNS domain that tenant hosts end with (`<slug>.<domain>`), as hosts compare: lowercase, without a
 * trailing dot. Request hosts are lower-cased before they are compared, so `Pulse.Example.com` would
 * otherwise match no tenant host and the host checks would silently stop applying.
 */
export function baseDomain(defaultValue: string) {
  return z
    .string()
    .trim()
    .transform((value) => value.toLowerCase().replace(/\.$/, ''))
    .pipe(z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'must be a domain name such as pulse.example.com'))
    .default(defaultValue);
}

/** `true`/`false` (or `1`/`0`); undefined when unset (add `.default(...)` for a default). */
export const booleanFlag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1')
  .optional();
