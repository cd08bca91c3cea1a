import { ParseError } from './parse-error';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Date.UTC for every year: Date.UTC itself reads years 0-99 as 1900-1999 (`0050-01-01` would be 1950). */
export function utcMillis(year: number, monthIndex: number, day: number, hour: number, minute: number, second: number, millis: number): number {
  if (year < 0 || year > 99) return Date.UTC(year, monthIndex, day, hour, minute, second, millis);
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second, millis));
  return date.setUTCFullYear(year, monthIndex, day);
}

/**
 * Converts a wall-clock time in an IANA timezone to a UTC instant with the platform's Intl data (the
 * tz database Node ships). Offsets are cached per local day (per hour on the days the offset changes),
 * so a file of timestamps costs a few Intl calls per distinct day, not one per value.
 */
export class ZonedTime {
  private readonly formatter: Intl.DateTimeFormat | undefined;
  private readonly dayOffsets = new Map<number, number>();
  private readonly hourOffsets = new Map<number, number>();

  constructor(readonly timezone: string) {
    if (timezone === 'UTC' || timezone === 'Etc/UTC') return;
    try {
      this.formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (error) {
      throw new ParseError('unknown_timezone', `Unknown timezone "${timezone}" (expected an IANA name such as America/Sao_Paulo).`, { cause: error });
    }
  }

  /** UTC epoch ms of the wall-clock time `localMs` (a Date.UTC of the local fields). */
  toUtc(localMs: number): number {
    if (this.formatter === undefined) return localMs;
    // Almost every local day has one offset all day: cache it per day (4 Intl calls per distinct day).
    // A day with a DST change is cached per hour instead.
    const day = Math.floor(localMs / DAY_MS);
    let offset = this.dayOffsets.get(day);
    if (offset === undefined) {
      const start = this.offsetOfLocal(day * DAY_MS);
      const end = this.offsetOfLocal(day * DAY_MS + DAY_MS - 1000);
      offset = start === end ? start : Number.NaN;
      if (this.dayOffsets.size > 100_000) this.dayOffsets.clear();
      this.dayOffsets.set(day, offset);
    }
    if (Number.isNaN(offset)) {
      const hour = Math.floor(localMs / HOUR_MS);
      offset = this.hourOffsets.get(hour);
      if (offset === undefined) {
        offset = this.offsetOfLocal(localMs);
        this.hourOffsets.set(hour, offset);
      }
    }
    return localMs - offset;
  }

  /**
   * The offset for a wall-clock time: one day either side gives the offsets in force before and after
   * any change near it; a candidate is right when the zone really has that offset at the instant it
   * gives. In an overlap (both right) and in a gap (neither right) the offset before the change wins:
   * 01:30 repeated reads as its first occurrence, and 00:30 in a spring-forward gap at midnight as
   * 00:30 at the old offset, i.e. 01:30 new time (what java.time and Temporal's "compatible" do).
   */
  private offsetOfLocal(localMs: number): number {
    const before = this.offsetAt(localMs - DAY_MS);
    const after = this.offsetAt(localMs + DAY_MS);
    if (before === after) return before;
    if (this.offsetAt(localMs - before) === before) return before;
    if (this.offsetAt(localMs - after) === after) return after;
    return before;
  }

  /** Wall-clock time (as a Date.UTC value) in the zone at the instant `utcMs`. */
  toLocal(utcMs: number): number {
    return this.formatter === undefined ? utcMs : utcMs + this.offsetAt(utcMs);
  }

  /** Offset of the zone (local - UTC, in ms) at the instant `utcMs`. */
  private offsetAt(utcMs: number): number {
    const parts = (this.formatter as Intl.DateTimeFormat).formatToParts(new Date(utcMs));
    const field = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((part) => part.type === type)?.value);
    const asUtc = utcMillis(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'), 0);
    return asUtc - (utcMs - (((utcMs % 1000) + 1000) % 1000));
  }
}
