import { z } from 'zod';

export const healthDistributionSchema = z.object({
  total: z.number().int().describe('All customers'),
  bands: z.object({
    red: z.number().int(),
    yellow: z.number().int(),
    green: z.number().int(),
    unscored: z.number().int().describe('Customers without a health band (no KPIs yet, or not scored)'),
  }),
  deciles: z
    .array(z.object({ from: z.number().int(), to: z.number().int(), count: z.number().int() }))
    .length(10)
    .describe('Customers with a score, by score range 0-9, 10-19, ..., 90-100 (100 falls in the last)'),
});
export type HealthDistributionDto = z.infer<typeof healthDistributionSchema>;
