import { z } from 'zod';

export const DEFAULT_CHURN_WINDOW_DAYS = 90;
export const DEFAULT_EXCLUDED_ORDER_STATUSES: readonly string[] = ['canceled', 'cancelled', 'refunded'];

/** What a KPI run is computed "as of" and with which tenant settings (docs/metrics.md, "Common rules"). */
export interface KpiParams {
  /** YYYY-MM-DD in the tenant's timezone: data after the end of this day is ignored. */
  asOf: string;
  /** IANA timezone in which days, weeks and months are cut. */
  timezone: string;
  /** A customer is churned once their last qualifying order is more than this many days back. */
  churnWindowDays: number;
  /** Order statuses (compared trimmed and case-insensitively) that count toward nothing. */
  excludedOrderStatuses: string[];
}

function isCalendarDate(value: string): boolean {
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

/**
 * The canonical name of an IANA time zone as ICU resolves it (`US/Pacific-New` -> `America/Los_Angeles`,
 * `america/sao_paulo` -> `America/Sao_Paulo`), or undefined when `value` names none. SQL gets this name:
 * ICU accepts aliases that PostgreSQL's (or BigQuery's) time zone database no longer has, while every
 * canonical name is known to them.
 */
export function canonicalTimezone(value: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

function isIanaTimezone(value: string): boolean {
  return canonicalTimezone(value) !== undefined;
}

export const kpiParamsSchema = z.object({
  asOf: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'asOf must be a YYYY-MM-DD date')
    .refine(isCalendarDate, 'asOf is not a calendar date'),
  timezone: z.string().min(1).refine(isIanaTimezone, 'timezone is not an IANA timezone name'),
  churnWindowDays: z.number().int().min(1).max(3650),
  excludedOrderStatuses: z.array(z.string().min(1).max(100)).max(100),
});

export class InvalidKpiParamsError extends Error {
  readonly code = 'invalid_kpi_params';
  /**
   * @param issues one `<param>: <problem>` per bad param (the params are the tenant's settings and the
   *   as-of date, so a caller may show them to the tenant).
   */
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
    this.name = 'InvalidKpiParamsError';
  }
}

/**
 * Validated params with statuses lower-cased (they are compared case-insensitively) and the timezone's
 * canonical name (canonicalTimezone). Throws
 * InvalidKpiParamsError naming every bad field, so a bad tenant setting fails the run before any SQL.
 */
export function parseKpiParamsOrThrow(params: KpiParams): KpiParams {
  const result = kpiParamsSchema.safeParse(params);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'params'}: ${issue.message}`);
    throw new InvalidKpiParamsError(`Invalid KPI params: ${problems.join('; ')}`, problems);
  }
  return {
    ...result.data,
    timezone: canonicalTimezone(result.data.timezone) as string,
    excludedOrderStatuses: [...new Set(result.data.excludedOrderStatuses.map((status) => status.trim().toLowerCase()))],
  };
}

/** Params with the documented defaults filled in (asOf defaults to today in the tenant's timezone). */
export function defaultKpiParams(overrides: Partial<KpiParams> & { timezone?: string }, now = new Date()): KpiParams {
  const timezone = overrides.timezone ?? 'UTC';
  return {
    asOf: overrides.asOf ?? localDateOf(now, timezone),
    timezone,
    churnWindowDays: overrides.churnWindowDays ?? DEFAULT_CHURN_WINDOW_DAYS,
    excludedOrderStatuses: overrides.excludedOrderStatuses ?? [...DEFAULT_EXCLUDED_ORDER_STATUSES],
  };
}

/** The calendar day (YYYY-MM-DD) of an instant in a timezone. */
export function localDateOf(instant: Date, timezone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}
