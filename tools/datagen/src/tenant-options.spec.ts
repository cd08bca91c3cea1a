import { resolveTenantOptions } from './tenant-options';

describe('resolveTenantOptions', () => {
  it('derives sizes from the customer count and caps products at 10 000', () => {
    expect(resolveTenantOptions({ customers: 1000 }).shape).toMatchObject({ customers: 1000, products: 200, orders: 3000 });
    expect(resolveTenantOptions({ customers: 10 }).shape.products).toBe(20);
    expect(resolveTenantOptions({ customers: 1_000_000 }).shape.products).toBe(10_000);
    expect(resolveTenantOptions({ customers: 1000, counts: { orders: 5, usage_events: 0 } })).toMatchObject({
      shape: { orders: 5 },
      counts: { usage_events: 0, nps_responses: 500 },
    });
  });

  it('refuses sizes and dates that cannot be generated, saying which', () => {
    expect(() => resolveTenantOptions({ customers: 0 })).toThrow('customers must be at least 1');
    expect(() => resolveTenantOptions({ customers: Number('abc') })).toThrow('customers must be a non-negative integer, got NaN');
    expect(() => resolveTenantOptions({ customers: 10, counts: { orders: -1 } })).toThrow('orders must be a non-negative integer, got -1');
    expect(() => resolveTenantOptions({ customers: 10, asOf: '31/10/2026' })).toThrow('asOf must be YYYY-MM-DD, got 31/10/2026');
  });
});
