import { z } from 'zod';

/** How a client finds the customers counted as unscored with the customer list as it is. */
export const LIST_UNSCORED_CUSTOMERS =
  'To list them: no healthBand filter selects them (it takes red, yellow, green); GET /v1/customers?sort=healthScore (or -healthScore) ' +
  'lists them last, with `health: null`, after every scored customer (NULLs sort last either way).';

export const healthDistributionSchema = z.object({
  total: z.number().int().describe('All customers'),
  bands: z.object({
    red: z.number().int(),
    yellow: z.number().int(),
    green: z.number().int(),
    unscored: z
      .number()
      .int()
      .describe(`Customers without a health band (no KPIs yet, or not scored). ${LIST_UNSCORED_CUSTOMERS}`),
  }),
  deciles: z
    .array(z.object({ from: z.number().int(), to: z.number().int(), count: z.number().int() }))
    .length(10)
    .describe('Customers with a score, by score range 0-9, 10-19, ..., 90-100 (100 falls in the last)'),
});
export type HealthDistributionDto = z.infer<typeof healthDistributionSchema>;
