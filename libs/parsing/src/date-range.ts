/**
 * The days a canonical date takes, and the instants (UTC) a canonical timestamp takes: 1901-01-01 to
 * 2199-12-31. Systems write "no date" as a real-looking one: .NET's DateTime.MinValue/MaxValue
 * (0001-01-01, 9999-12-31), SQL Server's datetime zero, which an empty string becomes (1900-01-01), and its
 * first and last days (1753-01-01, 9999-12-31.997), Excel/OLE's day zero (1899-12-30). Loaded as dates they
 * are not merely wrong: the metrics' series run from the earliest order, so one order of 0001-01-01 makes a
 * day series of some 740,000 days per metric. No order, subscription, event, ticket or customer relationship
 * a tenant records is from before 1901 or after 2199, so the range refuses every such placeholder (1900-01-01
 * included, hence 1901 rather than 1900) while leaving room for any real date, past or planned.
 */
export const FIRST_DAY = '1901-01-01';
export const LAST_DAY = '2199-12-31';
const FIRST_MS = Date.UTC(1901, 0, 1);
const END_DAY = '2200-01-01';
const END_MS = Date.UTC(2200, 0, 1);

/** A `YYYY-MM-DD` day (4-digit year) within the range; such texts compare in calendar order. */
export const isDayInRange = (isoDay: string): boolean => isoDay >= FIRST_DAY && isoDay <= LAST_DAY;

/**
 * An instant (UTC milliseconds) within the range; also a local wall-clock time coded as UTC (ZonedTime's
 * `toLocal`), whose day is then within it.
 */
export const isInstantInRange = (utcMs: number): boolean => utcMs >= FIRST_MS && utcMs < END_MS;

/** A `YYYY-MM-DDTHH:mm:ss.sssZ` instant (4-digit year) within the range, compared as text. */
export const isInstantTextInRange = (isoInstant: string): boolean => isoInstant >= FIRST_DAY && isoInstant < END_DAY;

/** How a refusal states the range (the message of an out_of_range reject). */
export const DAY_RANGE_TEXT = `a date between ${FIRST_DAY} and ${LAST_DAY}`;
export const INSTANT_RANGE_TEXT = `a date-time between ${FIRST_DAY}T00:00:00Z and ${LAST_DAY}T23:59:59.999Z`;
