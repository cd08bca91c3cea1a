// The buildable-library check does not fit here: tools/build/build.mjs compiles every lib into the CLI's
// dist, and only this test (never the CLI) reads the libs: the canonical fields and the real parser.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { CANONICAL_ENTITY_SPECS } from '@pulse/contracts';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { parseImportStream, type CanonicalRow, type RowRejection } from '@pulse/parsing';
import iconv from 'iconv-lite';
import type { Readable } from 'node:stream';
import { DATAGEN_ENTITIES, entityModel, type DatagenEntity } from './tenant-model';
import { createEntityStream, datagenImportSettings, tenantRowCounts } from './tenant-files';
import { resolveTenantOptions, type TenantOptions } from './tenant-options';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function parsed(entity: DatagenEntity, options: TenantOptions): Promise<{ rows: CanonicalRow[]; rejects: RowRejection[] }> {
  const rows: CanonicalRow[] = [];
  const rejects: RowRejection[] = [];
  for await (const batch of parseImportStream(createEntityStream(entity, options), { entity, ...datagenImportSettings(entity, options) })) {
    rows.push(...batch.rows);
    rejects.push(...batch.rejects);
  }
  return { rows, rejects };
}

const small: TenantOptions = { customers: 300, seed: 42 };

describe('datagen', () => {
  it('marks as custom exactly the columns that are not canonical fields, and writes every canonical field', () => {
    const { shape, counts } = resolveTenantOptions(small);
    for (const entity of DATAGEN_ENTITIES) {
      const canonical = CANONICAL_ENTITY_SPECS[entity].fields.map((field) => field.name);
      const columns = entityModel(entity, shape, counts).columns;
      expect(columns.filter((column) => !column.custom).map((column) => column.name)).toEqual(canonical);
      for (const column of columns.filter((c) => c.custom)) expect(canonical).not.toContain(column.name);
    }
  });

  it('writes the same bytes for the same seed, and different bytes for another seed', async () => {
    const first = await bytesOf(createEntityStream('orders', small));
    const again = await bytesOf(createEntityStream('orders', small));
    const other = await bytesOf(createEntityStream('orders', { ...small, seed: 43 }));
    expect(first.equals(again)).toBe(true);
    expect(first.equals(other)).toBe(false);
  });

  it('sizes entities from the customer count, and each file has exactly that many records', async () => {
    const counts = tenantRowCounts(small);
    expect(counts).toMatchObject({ customers: 300, contacts: 300, products: 60, orders: 900, subscriptions: 300, usage_events: 1500, nps_responses: 150, support_tickets: 300 });
    // 1-3 lines per order.
    expect(counts.order_items).toBeGreaterThanOrEqual(900);
    expect(counts.order_items).toBeLessThanOrEqual(2700);
    for (const entity of ['customers', 'order_items'] as const) {
      const { rows } = await parsed(entity, small);
      expect(rows).toHaveLength(counts[entity]);
    }
  });

  it('keeps references consistent: customers by id or alias, order lines to orders and products, totals', async () => {
    const customers = (await parsed('customers', small)).rows;
    const known = new Set<string>();
    for (const { values } of customers) {
      known.add(values['external_id'] as string);
      for (const alias of (values['aliases'] ?? '').split('|').filter(Boolean)) known.add(alias);
    }
    const orders = (await parsed('orders', small)).rows;
    const byAlias = orders.filter((order) => !(order.values['customer_external_id'] as string).startsWith('C'));
    expect(byAlias.length).toBeGreaterThan(0);
    for (const order of orders) expect(known.has(order.values['customer_external_id'] as string)).toBe(true);
    for (const entity of ['subscriptions', 'usage_events', 'nps_responses', 'support_tickets', 'contacts'] as const) {
      for (const row of (await parsed(entity, small)).rows) expect(known.has(row.values['customer_external_id'] as string)).toBe(true);
    }

    const skus = new Set((await parsed('products', small)).rows.map((row) => row.values['sku']));
    const cents = (decimal: string | null): number => Math.round(Number(decimal) * 100);
    const lineTotals = new Map<string, number>();
    const lineNumbers = new Map<string, number[]>();
    for (const { values } of (await parsed('order_items', small)).rows) {
      const order = values['order_external_id'] as string;
      expect(skus.has(values['sku'])).toBe(true);
      lineTotals.set(order, (lineTotals.get(order) ?? 0) + (cents(values['quantity'] ?? null) / 100) * cents(values['unit_price'] ?? null));
      lineNumbers.set(order, [...(lineNumbers.get(order) ?? []), Number(values['line_number'])]);
    }
    expect(lineTotals.size).toBe(orders.length);
    for (const order of orders) {
      const id = order.values['external_id'] as string;
      expect(cents(order.values['total'] ?? null)).toBe(lineTotals.get(id));
      const numbers = lineNumbers.get(id) as number[];
      expect(numbers).toEqual(numbers.map((_, index) => index + 1));
    }
    const statuses = new Set(orders.map((order) => order.values['status']));
    expect(statuses).toEqual(new Set(['paid', 'shipped', 'delivered', 'pending', 'canceled', 'refunded']));
  });

  it('writes pt-BR files in Windows-1252 with `;`, dd/mm/yyyy and decimal comma', async () => {
    const bytes = await bytesOf(createEntityStream('customers', { ...small, locale: 'pt-BR', encoding: 'latin1' }));
    // "ã" is the single byte 0xE3 in Latin-1, which is not valid UTF-8 on its own.
    expect(bytes.includes(Buffer.from([0x53, 0xe3, 0x6f]))).toBe(true); // "São"
    expect(bytes.includes(Buffer.from('São', 'utf8'))).toBe(false);
    const lines = iconv.decode(bytes, 'win1252').split('\n');
    expect(lines[0]).toBe('external_id;name;email;segment;plan;owner;customer_since;aliases;employees;region;plan_tier;annual_revenue;onboarded');
    const fields = (lines[1] as string).split(';');
    expect(fields[6]).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    expect(fields[11]).toMatch(/^\d{1,3}(\.\d{3})*,\d{2}$/);
    expect(['sim', 'não']).toContain(fields[12]);
  });

  it.each(DATAGEN_ENTITIES)('gives the same %s whether written as en CSV, pt-BR Latin-1 CSV, NDJSON or with source headers, with zero rejects', async (entity) => {
    const reference = await parsed(entity, small);
    expect(reference.rejects).toEqual([]);
    const contentOf = (rows: CanonicalRow[]) => rows.map(({ values, custom }) => ({ values, custom }));
    for (const variant of [
      { locale: 'pt-BR', encoding: 'latin1' },
      { format: 'ndjson' },
      { headers: 'source', locale: 'pt-BR' },
    ] as const) {
      const other = await parsed(entity, { ...small, ...variant });
      expect(other.rejects).toEqual([]);
      expect(contentOf(other.rows)).toEqual(contentOf(reference.rows));
    }
  });
});
