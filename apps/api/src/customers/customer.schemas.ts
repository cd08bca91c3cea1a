import { z } from 'zod';

/** The JSON a client sees for a customer (camelCase, ISO-8601 UTC instants, money as decimal strings). */
export const customerKpisSchema = z.object({
  asOf: z.iso.date(),
  orders: z.number().int(),
  firstOrderAt: z.iso.datetime().nullable(),
  lastOrderAt: z.iso.datetime().nullable(),
  daysSinceLastOrder: z.number().int().nullable(),
  revenueTotal: z.string(),
  revenue30d: z.string(),
  revenue90d: z.string(),
  revenue365d: z.string(),
  averageOrderValue: z.string().nullable(),
  rfm: z.object({ recency: z.number().int().nullable(), frequency: z.number().int().nullable(), monetary: z.number().int().nullable(), segment: z.string().nullable() }),
  mrr: z.string(),
  lastNps: z.number().int().nullable(),
  openTickets: z.number().int(),
  active30d: z.boolean(),
});

export const customerHealthSchema = z.object({
  score: z.number().int().nullable(),
  band: z.enum(['red', 'yellow', 'green']).nullable(),
  trend: z.string().nullable(),
});

export const customerSchema = z.object({
  externalId: z.string(),
  /** ISO 4217 code of every money amount in this object: the tenant's currency setting. */
  currency: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  segment: z.string().nullable(),
  plan: z.string().nullable(),
  owner: z.string().nullable(),
  customerSince: z.iso.date().nullable(),
  custom: z.record(z.string(), z.unknown()),
  aliases: z.array(z.object({ source: z.string(), sourceId: z.string() })),
  kpis: customerKpisSchema.nullable(),
  health: customerHealthSchema.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export type CustomerDto = z.infer<typeof customerSchema>;

/** A customer in a list: everything but the aliases (read them on the customer's own resource). */
export const customerListItemSchema = customerSchema.omit({ aliases: true });
export type CustomerListItemDto = z.infer<typeof customerListItemSchema>;

export const customerPageSchema = z.object({
  items: z.array(customerListItemSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` to read the next page; null on the last page.'),
});
export type CustomerPageDto = z.infer<typeof customerPageSchema>;
