import { currencyCodeSchema, moneyAmountSchema } from '@pulse/contracts';
import { z } from 'zod';

/** SKU KPIs as computed by the last metrics run (money and quantities as decimal strings). */
export const productKpisSchema = z.object({
  asOf: z.iso.date(),
  firstPurchaseAt: z.iso.datetime().nullable(),
  lastPurchaseAt: z.iso.datetime().nullable(),
  daysSinceLastPurchase: z.number().int().nullable(),
  units: z.string(),
  revenue: moneyAmountSchema,
  distinctBuyers: z.number().int(),
  repeatBuyerRate: z.string().nullable().describe('Share of buyers who bought more than once, 0-1'),
  medianReorderIntervalDays: z.string().nullable(),
});

export const productSchema = z.object({
  sku: z.string(),
  currency: currencyCodeSchema,
  /** False for SKUs seen only in order lines (not in any products file). */
  inCatalog: z.boolean(),
  name: z.string().nullable(),
  category: z.string().nullable(),
  price: moneyAmountSchema.nullable(),
  custom: z.record(z.string(), z.unknown()),
  kpis: productKpisSchema.nullable(),
});
export type ProductDto = z.infer<typeof productSchema>;

export const productPageSchema = z.object({
  items: z.array(productSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` to read the next page; null on the last page.'),
});
export type ProductPageDto = z.infer<typeof productPageSchema>;
