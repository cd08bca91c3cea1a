import { CURRENCY_CODE_PATTERN } from '@pulse/contracts';
import { ValidationError, validationErrorFromZod } from '@pulse/errors';
import { kpiParamsSchema } from '@pulse/metric-catalog';
import { z } from 'zod';

/**
 * The tenant settings other services read with meaning, with the rules their readers apply, so that a
 * value the registry stores never breaks the tenant later. A known setting is either absent or valid
 * (null is refused: it is what a merge patch uses to remove a key, and tools/deploy refuses it). Other
 * keys are the operator's own and stay allowed, as before.
 */
export const tenantSettingsSchema = z.looseObject({
  // The metrics service's own rules (its KPI run refuses anything else before any SQL); ingestion reads
  // `timezone` too, for timestamps without an offset and source cron schedules.
  timezone: kpiParamsSchema.shape.timezone.optional(),
  churnWindowDays: kpiParamsSchema.shape.churnWindowDays.optional(),
  excludedOrderStatuses: kpiParamsSchema.shape.excludedOrderStatuses.optional(),
  // The api's rule: TenantResolver (libs/tenancy) hands `settings ->> 'currency'` to every response that
  // carries money as its ISO 4217 code, unchecked.
  currency: z.string().regex(CURRENCY_CODE_PATTERN, 'must be an ISO 4217 currency code: three upper-case letters, such as USD or BRL').optional(),
  // Mirrors tools/deploy (tenant-list.ts, a tool the registry may not import): `z.boolean().optional()`,
  // and one bad value fails deploy:render for every tenant.
  dedicated: z.boolean().optional(),
});

export type TenantSettings = z.output<typeof tenantSettingsSchema>;

// Parsed under `settings`, so the errors name the field as the body does (`body.settings.timezone`).
const settingsInBody = z.object({ settings: tenantSettingsSchema });

/**
 * The settings a tenant would have after a change, or a validation error naming each bad one. Used on a
 * PATCH's merged result: what is stored is what is checked, a setting the patch did not touch included.
 */
export function checkTenantSettingsOrThrow(settings: Record<string, unknown>): void {
  const parsed = settingsInBody.safeParse({ settings });
  if (parsed.success) return;
  const { fieldErrors } = validationErrorFromZod(parsed.error, 'body');
  throw new ValidationError(
    fieldErrors,
    `The tenant's settings after this change have ${fieldErrors.length} invalid value${fieldErrors.length === 1 ? '' : 's'}.`,
  );
}
