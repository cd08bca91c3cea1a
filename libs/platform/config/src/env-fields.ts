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
