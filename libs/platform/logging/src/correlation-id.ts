import { randomUUID } from 'node:crypto';

export const CORRELATION_ID_HEADER = 'x-correlation-id';

// A caller-supplied id ends up in every log line and in Pub/Sub attributes: accept only short,
// printable tokens so a header cannot inject log structure or bloat every message.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's correlation id when it is acceptable, otherwise a new one. */
export function correlationIdFrom(headerValue: string | string[] | undefined): string {
  const candidate = Array.isArray(headerValue) ? headerValue[0] : headerValue;
  const trimmed = candidate?.trim();
  return trimmed && ACCEPTABLE_ID.test(trimmed) ? trimmed : randomUUID();
}
