import type { ProductDto } from './product.schemas';

/** A SKU (from products and/or product_kpis) as this module's SQL selects it; numerics as strings. */
export interface ProductRow {
  sku: string;
  in_catalog: boolean;
  name: string | null;
  category: string | null;
  price: string | null;
  custom: Record<string, unknown> | null;
  as_of: string | null;
  first_purchase_at: Date | null;
  last_purchase_at: Date | null;
  days_since_last_purchase: number | null;
  units: string | null;
  revenue: string | null;
  distinct_buyers: number | null;
  repeat_buyer_rate: string | null;
  median_reorder_interval_days: string | null;
}

/**
 * Every SKU: catalog products and SKUs seen only in order lines (product_kpis is keyed by SKU, which
 * need not be in products). Alias s is the SKU, p the catalog row, pk its KPIs.
 */
export const PRODUCT_FROM = `(SELECT sku FROM products UNION SELECT sku FROM product_kpis) s
  LEFT JOIN products p ON p.sku = s.sku
  LEFT JOIN product_kpis pk ON pk.sku = s.sku`;

export const PRODUCT_COLUMNS = `
  s.sku, p.id IS NOT NULL AS in_catalog, p.name, p.category, p.price, p.custom,
  to_char(pk.as_of, 'YYYY-MM-DD') AS as_of, pk.first_purchase_at, pk.last_purchase_at, pk.days_since_last_purchase,
  pk.units, pk.revenue, pk.distinct_buyers, pk.repeat_buyer_rate, pk.median_reorder_interval_days`;

const iso = (value: Date | null) => value?.toISOString() ?? null;

export function toProductDto(row: ProductRow, currency: string): ProductDto {
  return {
    sku: row.sku,
    currency,
    inCatalog: row.in_catalog,
    name: row.name,
    category: row.category,
    price: row.price,
    custom: row.custom ?? {},
    kpis:
      row.as_of !== null
        ? {
            asOf: row.as_of,
            firstPurchaseAt: iso(row.first_purchase_at),
            lastPurchaseAt: iso(row.last_purchase_at),
            daysSinceLastPurchase: row.days_since_last_purchase,
            units: row.units ?? '0',
            revenue: row.revenue ?? '0',
            distinctBuyers: row.distinct_buyers ?? 0,
            repeatBuyerRate: row.repeat_buyer_rate,
            medianReorderIntervalDays: row.median_reorder_interval_days,
          }
        : null,
  };
}
