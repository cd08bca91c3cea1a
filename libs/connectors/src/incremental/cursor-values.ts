import type { JsonValue, NormalisedType } from '../connector';
import { ConnectorError } from '../connector-errors';

const TEMPORAL = /^(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2}):(\d{2})(\.\d+)?)?(\s*(?:Z|[+-]\d{2}(?::?\d{2})?))?$/;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * Moves a cursor value back by the lookback window. Only the lower bound of a re-read comes from here,
 * so approximations widen the window, never narrow it. Temporal text keeps its exact shape (separator,
 * fractional digits, zone suffix) so the database parses it as it parsed the original; the window is
 * applied to the wall-clock fields with the offset kept, which is exact for a fixed offset.
 */
export function shiftCursorBack(value: JsonValue, type: NormalisedType, seconds: number): JsonValue {
  if (seconds <= 0) return value;
  if (type === 'integer') {
    if (typeof value === 'number') return value - Math.ceil(seconds);
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return (BigInt(value) - BigInt(Math.ceil(seconds))).toString();
  }
  if ((type === 'decimal' || type === 'float') && typeof value === 'string' && DECIMAL_TEXT.test(value)) {
    // Exactly, in integers: through a double, a value beyond 2^53 (an Oracle NUMBER, a numeric(30)) could
    // round up, past rows the window must re-read.
    return (floorOfDecimal(value) - BigInt(Math.ceil(seconds))).toString();
  }
  if ((type === 'decimal' || type === 'float') && (typeof value === 'number' || typeof value === 'string')) {
    const numeric = Number(value);
    if (Number.isFinite(numeric)) return typeof value === 'number' ? numeric - seconds : String(Math.floor(numeric - seconds));
  }
  if ((type === 'timestamp' || type === 'timestamptz' || type === 'date') && typeof value === 'string') {
    const match = TEMPORAL.exec(value.trim());
    if (match) {
      const [, year, month, day, separator, hour, minute, second, fraction, zone] = match;
      if (separator === undefined) {
        const shifted = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)) - Math.ceil(seconds / 86_400) * 86_400_000);
        return `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`;
      }
      const wall = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
      const shifted = new Date(wall - Math.ceil(seconds) * 1000);
      return (
        `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}` +
        `${separator}${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}` +
        `${fraction ?? ''}${zone ?? ''}`
      );
    }
  }
  throw new ConnectorError(
    'invalid_source_config',
    `A lookback window needs a numeric, date or timestamp cursor; cannot move ${JSON.stringify(value)} (${type}) back`,
  );
}

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/** The greatest integer not above a decimal text (`-1.5` -> -2). */
function floorOfDecimal(text: string): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  const truncated = BigInt(whole);
  return text.startsWith('-') && /[1-9]/.test(fraction) ? truncated - 1n : truncated;
}

/** Orders two cursor values of the same column: negative, zero or positive. */
export function compareCursorValues(a: JsonValue, b: JsonValue, type: NormalisedType): number {
  if (type === 'integer' && /^-?\d+$/.test(String(a)) && /^-?\d+$/.test(String(b))) {
    const difference = BigInt(String(a)) - BigInt(String(b));
    return difference === 0n ? 0 : difference < 0n ? -1 : 1;
  }
  if (type === 'decimal' || type === 'float' || type === 'integer') return Number(a) - Number(b);
  if (type === 'timestamp' || type === 'timestamptz' || type === 'date') return temporalMicros(a) - temporalMicros(b);
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** Microseconds since the epoch of a temporal text (wall clock minus its offset, if any). */
function temporalMicros(value: JsonValue): number {
  const match = TEMPORAL.exec(String(value).trim());
  if (!match) return Number.NaN;
  const [, year, month, day, , hour = '0', minute = '0', second = '0', fraction = '', zone = ''] = match;
  let millis = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  const offset = /([+-])(\d{2}):?(\d{2})?/.exec(zone.trim());
  if (offset) millis -= (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3] ?? 0)) * 60_000;
  const micros = fraction ? Number(fraction.slice(1, 7).padEnd(6, '0')) : 0;
  return millis * 1000 + micros;
}
