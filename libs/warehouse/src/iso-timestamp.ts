/**
 * An instant given in microseconds since the epoch as ISO-8601 UTC with Z: milliseconds as Date prints
 * them, six fractional digits only when the value has sub-millisecond precision.
 */
export function isoFromMicros(micros: bigint): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const date = new Date(Number(millis));
  if (Number.isNaN(date.getTime())) return String(micros);
  const iso = date.toISOString();
  const subMillis = ((micros % 1000n) + 1000n) % 1000n;
  return subMillis === 0n ? iso : `${iso.slice(0, -1)}${subMillis.toString().padStart(3, '0')}Z`;
}

/** A whole number as a JavaScript number when it is exact, otherwise as its decimal text. */
export function integerValue(value: bigint | number): number | string {
  if (typeof value === 'number') return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
}
