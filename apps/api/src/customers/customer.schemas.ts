import { currencyCodeSchema, moneyAmountSchema } from '@pulse/contracts';
import { z } from 'zod';

/** The JSON a client sees for a customer (camelCase, ISO-8601 UTC instants, money as decimal strings). */
export const customerKpisSchema = z.object({
  asOf: z.iso.date(),
  orders: z.number().int(),
  firstOrderAt: z.iso.datetime().nullable(),
  lastOrderAt: z.iso.datetime().nullable(),
  daysSinceLastOrder: z.number().int().nullable(),
  revenueTotal: moneyAmountSchema,
  revenue30d: moneyAmountSchema,
  revenue90d: moneyAmountSchema,
  revenue365d: moneyAmountSchema,
  averageOrderValue: moneyAmountSchema.nullable(),
  rfm: z.object({ recency: z.number().int().nullable(), frequency: z.number().int().nullable(), monetary: z.number().int().nullable(), segment: z.string().nullable() }),
  mrr: moneyAmountSchema,
  lastNps: z.number().int().nullable(),
  openTickets: z.number().int(),
  active30d: z.boolean(),
});

export const customerHealthSchema = z.object({
  score: z.number().int().nullable(),
  band: z.enum(['red', 'yellow', 'green']).nullable(),
  trend: z.string().nullable(),
});

/**
 * One measure's part in the score. Numbers are JSON numbers, as in the scorecard they come from (weights,
 * thresholds) and as the scorer computed them; money is a decimal string only where it is a stored amount
 * (the KPIs).
 */
export const healthContributionSchema = z.object({
  measure: z.string().describe('The scorecard measure: a customer KPI by its API name (e.g. `revenue90d`) or `custom.<field>`'),
  value: z
    .number()
    .nullable()
    .describe('The value the measure was scored with, as a number (a money KPI in the `currency` of the customer, `active30d` as 1 or 0); null when the customer had none'),
  weight: z.number().describe("The measure's weight in the scorecard the score was computed with"),
  score: z.number().nullable().describe("The measure's score, 0-100 with up to two decimals; null when the value was missing and the measure excluded"),
  points: z
    .number()
    .describe("The measure's share of the health score, in hundredths (up to two decimals): the points of all measures add up to `score` exactly; 0 for an excluded or weight-0 measure"),
});

/** Health on the customer's own resource: the list's, with what explains the score. */
export const customerDetailHealthSchema = customerHealthSchema.extend({
  contributions: z
    .array(healthContributionSchema)
    .nullable()
    .describe(
      'Per measure of the scorecard, in its order: how the customer scored and what that added to `score`, from the metrics run that computed the score shown. Null when that breakdown is not stored.',
    ),
});

export const customerSchema = z.object({
  externalId: z.string(),
  currency: currencyCodeSchema,
  name: z.string().nullable(),
  email: z.string().nullable(),
  segment: z.string().nullable(),
  plan: z.string().nullable(),
  owner: z.string().nullable(),
  customerSince: z.iso.date().nullable(),
  custom: z.record(z.string(), z.unknown()),
  aliases: z.array(z.object({ source: z.string(), sourceId: z.string() })),
  kpis: customerKpisSchema.nullable(),
  health: customerDetailHealthSchema.nullable().describe('Null when the customer has no health score (no KPIs yet, or no measure could be scored)'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export type CustomerDto = z.infer<typeof customerSchema>;

/** A customer in a list: everything but the aliases and the health contributions (read them on the customer's own resource). */
export const customerListItemSchema = customerSchema.omit({ aliases: true }).extend({
  health: customerHealthSchema.nullable().describe('Null when the customer has no health score (no KPIs yet, or no measure could be scored)'),
});
export type CustomerListItemDto = z.infer<typeof customerListItemSchema>;

export const customerPageSchema = z.object({
  items: z.array(customerListItemSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` to read the next page; null on the last page.'),
});
export type CustomerPageDto = z.infer<typeof customerPageSchema>;
