/**
 * The few SQL constructs whose spelling differs between DuckDB and BigQuery. The metric catalog and its
 * compiler write every statement through this object, so each metric is declared once and no query is
 * hand-written per dialect. Everything not listed here (CASE, COALESCE, window functions, GROUP BY,
 * LEFT JOIN, UNION ALL) is spelled the same in both.
 */
export type SeriesGrain = 'day' | 'week' | 'month';
export type SqlType = 'decimal' | 'integer' | 'double' | 'text' | 'date';

export interface SqlDialect {
  readonly name: 'duckdb' | 'bigquery';
  /** A text literal, quotes escaped. */
  text(value: string): string;
  /** A DATE literal from 'YYYY-MM-DD'. */
  date(value: string): string;
  /** A timestamp (instant) literal from an ISO-8601 UTC text. */
  timestamp(value: string): string;
  cast(expression: string, type: SqlType): string;
  /** The calendar day of an instant in an IANA timezone. */
  localDate(timestamp: string, timezone: string): string;
  /** The instant at which a calendar day starts in an IANA timezone (midnight local). */
  startOfDay(date: string, timezone: string): string;
  /** date + days (days may be an expression; negative subtracts). */
  addDays(date: string, days: string | number): string;
  /** Whole days from `from` to `to` (to - from). */
  daysBetween(from: string, to: string): string;
  /** The first day of the period containing a date; weeks start on Monday (ISO weeks). */
  periodStart(date: string, grain: SeriesGrain): string;
  /** One row per period start (column `period_start`) from `first` to `last` (both period starts). */
  periodStarts(first: string, last: string, grain: SeriesGrain, from: string): string;
  /** Integer division rounding toward zero (both operands non-negative here). */
  integerDivide(dividend: string, divisor: string): string;
  /**
   * dividend / divisor exactly, rounded half away from zero to `scale` places (a decimal); NULL when the
   * divisor is 0 or NULL. Both operands are exact with at most 4 decimal places (counts, money). Never
   * floating point: a double has 15-17 significant digits and no exact halves in decimal (0.00015 is
   * 0.000149999..., 41 / 640 = 0.0640625 came out 0.064062).
   */
  divideRounded(dividend: string, divisor: string, scale: number): string;
  /**
   * SUM of exact decimals (money and quantities: the DECIMAL(18,4) input columns, or sums and products of
   * them) in a type that no realistic number of rows overflows, exact.
   */
  sumDecimal(expression: string): string;
  /**
   * The exact product of two DECIMAL(18,4) values (8 decimal places), in a type that holds every such
   * product (up to 10^28) and sums of them.
   */
  multiplyDecimal(left: string, right: string): string;
  /** A text scalar at a JSON path ('$.plan') of a JSON column, NULL when absent. */
  jsonText(json: string, path: string): string;
  /** `SELECT <group>, <median of value> AS <alias> FROM <relation> GROUP BY <group>` (exact, interpolated). */
  medianByGroup(relation: string, group: string, value: string, alias: string): string;
  /** A one-column relation of text values, to cross join with (unpivot, grain fan-out). */
  textValues(values: readonly string[], column: string): string;
  /** An exact decimal rounded to `scale` places, half away from zero (output columns). */
  toDecimal(expression: string, scale: number): string;
  /** An instant as ISO-8601 UTC text with microseconds and Z: '2024-01-31T23:30:00.000000Z'. */
  isoTimestamp(timestamp: string): string;
  /**
   * Text without leading and trailing whitespace, the same characters in both engines (those of
   * JavaScript's String.prototype.trim, which tenant settings are trimmed with): a bare TRIM strips only
   * spaces in DuckDB and every whitespace character in BigQuery, so a status "refunded\t" counted as
   * revenue in one and not in the other.
   */
  trimmed(text: string): string;
}

/** The code points String.prototype.trim removes (ECMAScript WhiteSpace and LineTerminator). */
const WHITESPACE_CODE_POINTS = [9, 10, 11, 12, 13, 32, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288, 65279];

// UTC with Z, up to microseconds (kept: loaded_at watermarks have microseconds).
const ISO_UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function instantText(value: string): string {
  if (!ISO_UTC_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw new Error(`Not an ISO-8601 UTC instant (YYYY-MM-DDTHH:MM:SS[.ffffff]Z): ${JSON.stringify(value)}`);
  }
  return value.replace('T', ' ').replace('Z', '+00');
}

// BigQuery (GoogleSQL) escapes with backslashes; a doubled quote is not an escape there.
function bigqueryTextLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function dateLiteral(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new Error(`Not a YYYY-MM-DD date: ${JSON.stringify(value)}`);
  return `DATE '${value}'`;
}

const DUCKDB_TYPES: Record<SqlType, string> = {
  decimal: 'DECIMAL(18,4)',
  integer: 'BIGINT',
  double: 'DOUBLE',
  text: 'VARCHAR',
  date: 'DATE',
};

/** 10^-scale as a DuckDB DECIMAL literal: an integer DECIMAL times it is that many units of 10^-scale. */
function decimalUnit(scale: number): string {
  return scale === 0 ? '1' : `CAST(0.${'0'.repeat(scale - 1)}1 AS DECIMAL(${scale + 1},${scale}))`;
}

/**
 * |dividend| / |divisor| rounded half up to `scale` places, from the two operands as integer counts of
 * 10^-4 (`a`, `b`, of an integer SQL type): the integer quotient plus the scale's digits of the remainder
 * (`a * 10^scale` is never formed), as a DECIMAL(38, scale).
 */
function roundedQuotient(a: string, b: string, scale: number): string {
  const unit = 10n ** BigInt(scale);
  const digits = `((${a}) % (${b}) * ${2n * unit} + (${b})) // (2 * (${b}))`;
  return `(CAST((${a}) // (${b}) AS DECIMAL(38,0)) + CAST(${digits} AS DECIMAL(38,0)) * ${decimalUnit(scale)})`;
}

/**
 * DuckDB's `/` on decimals gives a DOUBLE; this divides exactly, by integer arithmetic (half away from
 * zero: the rounded quotient of the absolute values, then the sign). Two paths, the same result:
 * - 64-bit integers, about 0.1 µs a row, when the dividend is below 10^14 and the divisor below
 *   10^(13 - scale) (every count ratio, the average order value of revenue below 10^14); past them the
 *   TRY_CASTs give NULL, and so does a divisor of 0.
 * - 128-bit integers for the other rows (DuckDB's 128-bit division is slow, about 20 µs a row): exact for
 *   every DECIMAL(38,4) dividend; fails the run only for a divisor past about 10^27 (the remainder times
 *   2 * 10^scale overflows 128 bits). Outside any CASE on purpose: DuckDB shares the repeated
 *   subexpressions of the fast path only there.
 */
function duckdbDivideRounded(dividend: string, divisor: string, scale: number): string {
  // An operand as an integer count of 10^-4: the whole part and the fraction separately (the decimal times
  // 10000 would overflow its own type, which DuckDB keeps for the product).
  const units = (decimal: string, integer: string) =>
    `(CAST(trunc(${decimal}) AS ${integer}) * 10000 + CAST((${decimal} - trunc(${decimal})) * 10000 AS ${integer}))`;
  const sign = `sign(${dividend}) * sign(${divisor})`;
  const fast = roundedQuotient(
    units(`TRY_CAST(abs(${dividend}) AS DECIMAL(18,4))`, 'BIGINT'),
    units(`TRY_CAST(abs(${divisor}) AS DECIMAL(${17 - scale},4))`, 'BIGINT'),
    scale,
  );
  const exact = roundedQuotient(
    units(`CAST(abs(${dividend}) AS DECIMAL(38,4))`, 'HUGEINT'),
    units(`CAST(abs(${divisor}) AS DECIMAL(38,4))`, 'HUGEINT'),
    scale,
  );
  return `COALESCE(${sign} * ${fast}, CASE WHEN ${divisor} = 0 THEN NULL ELSE ${sign} * ${exact} END)`;
}

/** IANA names of zones whose offset is 0 at every instant (their local day is the UTC day). */
const ALWAYS_UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'Etc/Universal', 'Etc/Zulu', 'UCT', 'Universal', 'Zulu']);

/**
 * A DuckDB TIMESTAMPTZ as the UTC wall-clock TIMESTAMP, by arithmetic on its microseconds since the epoch:
 * the same value as timezone('UTC', ts) without the per-row ICU time zone lookup.
 */
const utcWallClock = (timestamp: string) => `make_timestamp(epoch_us(${timestamp}))`;

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  // DuckDB does not treat backslash as an escape inside '...'; only quotes are doubled.
  text: (value) => `'${value.replace(/'/g, "''")}'`,
  date: dateLiteral,
  timestamp: (value) => `TIMESTAMPTZ '${instantText(value)}'`,
  cast: (expression, type) => `CAST(${expression} AS ${DUCKDB_TYPES[type]})`,
  // timezone(zone, TIMESTAMPTZ) gives the local wall-clock TIMESTAMP; its date part is the local day. It goes
  // through ICU per row (~10x the cost of arithmetic); a zone that is UTC all year needs no conversion.
  localDate: (timestamp, timezone) =>
    ALWAYS_UTC_ZONES.has(timezone)
      ? `CAST(${utcWallClock(timestamp)} AS DATE)`
      : `CAST(timezone(${duckdbDialect.text(timezone)}, ${timestamp}) AS DATE)`,
  // timezone(zone, TIMESTAMP) reads a wall-clock time in that zone and returns the instant. Where clocks
  // fall back across midnight (Atlantic/Azores on 2024-10-27, 01:00 -> 00:00), local midnight comes twice
  // and ICU takes the later one, an hour into the day; the day starts at the earlier, which is an hour
  // after 23:00 the day before (unambiguous there). The earlier of the two is the day's first instant in
  // every case, as BigQuery's TIMESTAMP(date, zone) and the local dates of localDate have it.
  startOfDay: (date, timezone) => {
    const zone = duckdbDialect.text(timezone);
    const midnight = `CAST(${date} AS TIMESTAMP)`;
    return `least(timezone(${zone}, ${midnight}), timezone(${zone}, ${midnight} - INTERVAL 1 HOUR) + INTERVAL 1 HOUR)`;
  },
  addDays: (date, days) => `CAST(${date} + CAST(${days} AS INTEGER) AS DATE)`,
  daysBetween: (from, to) => `date_diff('day', ${from}, ${to})`,
  periodStart: (date, grain) => (grain === 'day' ? date : `CAST(date_trunc('${grain}', ${date}) AS DATE)`),
  periodStarts: (first, last, grain, from) =>
    `SELECT CAST(UNNEST(generate_series(CAST(${first} AS TIMESTAMP), CAST(${last} AS TIMESTAMP), INTERVAL 1 ${grain.toUpperCase()})) AS DATE) AS period_start FROM ${from}`,
  integerDivide: (dividend, divisor) => `((${dividend}) // (${divisor}))`,
  divideRounded: (dividend, divisor, scale) => duckdbDivideRounded(dividend, divisor, scale),
  // SUM of a DECIMAL accumulates in 128 bits and returns DECIMAL(38, scale): 34 integer digits for money.
  // Casting the input to DECIMAL(38,4) first would give the same result at twice the cost.
  sumDecimal: (expression) => `SUM(${expression})`,
  // DECIMAL(18,4) * DECIMAL(18,4) is DECIMAL(18,8) in DuckDB: it overflows at 10^10. With one side
  // DECIMAL(38,4) the product is DECIMAL(38,8): exact, up to 10^30 (also for the sums of products). That
  // 128-bit product costs 4-5x the 64-bit one, so factors below 10^5 (a product below 10^10: most lines)
  // take the 64-bit one; CASE evaluates a branch only for its rows, and both give DECIMAL(38,8).
  multiplyDecimal: (left, right) =>
    `CASE WHEN abs(${left}) < 100000 AND abs(${right}) < 100000 THEN ${left} * ${right} ELSE CAST(${left} AS DECIMAL(38,4)) * ${right} END`,
  jsonText: (json, path) => `json_extract_string(${json}, ${duckdbDialect.text(path)})`,
  medianByGroup: (relation, group, value, alias) =>
    `SELECT ${group}, quantile_cont(${value}, 0.5) AS ${alias} FROM ${relation} GROUP BY ${group}`,
  textValues: (values, column) => `(VALUES ${values.map((value) => `(${duckdbDialect.text(value)})`).join(', ')}) AS ${column}_values(${column})`,
  toDecimal: (expression, scale) => `CAST(${expression} AS DECIMAL(38, ${scale}))`,
  isoTimestamp: (timestamp) => `strftime(${utcWallClock(timestamp)}, '%Y-%m-%dT%H:%M:%S.%fZ')`,
  trimmed: (text) => `TRIM(${text}, ${WHITESPACE_CODE_POINTS.map((codePoint) => `chr(${codePoint})`).join(' || ')})`,
};

const BIGQUERY_TYPES: Record<SqlType, string> = {
  decimal: 'NUMERIC',
  integer: 'INT64',
  double: 'FLOAT64',
  text: 'STRING',
  date: 'DATE',
};

// BigQuery's DATE_TRUNC part for our grains: ISOWEEK starts on Monday (WEEK would start on Sunday).
const BIGQUERY_DATE_PARTS: Record<SeriesGrain, string> = { day: 'DAY', week: 'ISOWEEK', month: 'MONTH' };
const BIGQUERY_INTERVAL_PARTS: Record<SeriesGrain, string> = { day: 'DAY', week: 'WEEK', month: 'MONTH' };

export const bigqueryDialect: SqlDialect = {
  name: 'bigquery',
  text: bigqueryTextLiteral,
  date: dateLiteral,
  timestamp: (value) => `TIMESTAMP '${instantText(value)}'`,
  cast: (expression, type) => `CAST(${expression} AS ${BIGQUERY_TYPES[type]})`,
  localDate: (timestamp, timezone) => `DATE(${timestamp}, ${bigqueryTextLiteral(timezone)})`,
  startOfDay: (date, timezone) => `TIMESTAMP(${date}, ${bigqueryTextLiteral(timezone)})`,
  addDays: (date, days) => `DATE_ADD(${date}, INTERVAL ${days} DAY)`,
  daysBetween: (from, to) => `DATE_DIFF(${to}, ${from}, DAY)`,
  periodStart: (date, grain) => (grain === 'day' ? date : `DATE_TRUNC(${date}, ${BIGQUERY_DATE_PARTS[grain]})`),
  periodStarts: (first, last, grain, from) =>
    `SELECT period_start FROM ${from}, UNNEST(GENERATE_DATE_ARRAY(${first}, ${last}, INTERVAL 1 ${BIGQUERY_INTERVAL_PARTS[grain]})) AS period_start`,
  integerDivide: (dividend, divisor) => `DIV(${dividend}, ${divisor})`,
  // BIGNUMERIC division keeps 38 decimal places (NUMERIC's 9 could turn 0.0640624995 into a half that
  // rounds up); ROUND rounds half away from zero.
  divideRounded: (dividend, divisor, scale) =>
    `ROUND(SAFE_DIVIDE(CAST(${dividend} AS BIGNUMERIC), CAST(${divisor} AS BIGNUMERIC)), ${scale})`,
  // NUMERIC holds 29 integer digits (a SUM of NUMERIC fails past 10^29, a product of two input values
  // reaches 10^28); BIGNUMERIC holds 38, with 38 decimal places, so sums and products stay exact.
  sumDecimal: (expression) => `SUM(CAST(${expression} AS BIGNUMERIC))`,
  multiplyDecimal: (left, right) => `CAST(${left} AS BIGNUMERIC) * ${right}`,
  jsonText: (json, path) => `JSON_VALUE(${json}, ${bigqueryTextLiteral(path)})`,
  // PERCENTILE_CONT is only an analytic function in BigQuery (APPROX_QUANTILES would be approximate).
  medianByGroup: (relation, group, value, alias) =>
    `SELECT DISTINCT ${group}, PERCENTILE_CONT(${value}, 0.5) OVER (PARTITION BY ${group}) AS ${alias} FROM ${relation}`,
  textValues: (values, column) => `UNNEST([${values.map(bigqueryTextLiteral).join(', ')}]) AS ${column}`,
  // BIGNUMERIC, not NUMERIC: a NUMERIC cast would fail past 10^29 (and round to 9 places before ROUND).
  toDecimal: (expression, scale) => `ROUND(CAST(${expression} AS BIGNUMERIC), ${scale})`,
  isoTimestamp: (timestamp) => `FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6SZ', ${timestamp}, 'UTC')`,
  trimmed: (text) => `TRIM(${text}, CODE_POINTS_TO_STRING([${WHITESPACE_CODE_POINTS.join(', ')}]))`,
};

export function sqlDialect(name: 'duckdb' | 'bigquery'): SqlDialect {
  return name === 'duckdb' ? duckdbDialect : bigqueryDialect;
}
