import { createTenantContext, withCorrelationId, type TenantContext } from './tenant-context';

describe('createTenantContext', () => {
  const tenantId = '0b6f3c8e-4a5d-4f7e-9d55-1c2b3a4d5e6f';

  it('returns a frozen context with exactly the given fields', () => {
    const context = createTenantContext({ tenantId, slug: 'acme-brasil', correlationId: 'req-1' });
    expect(context).toEqual({ tenantId, slug: 'acme-brasil', correlationId: 'req-1' });
    expect(Object.isFrozen(context)).toBe(true);
    expect(() => {
      (context as { tenantId: string }).tenantId = 'other';
    }).toThrow(TypeError);
  });

  it('omits an absent correlation id', () => {
    expect(Object.keys(createTenantContext({ tenantId, slug: 'acme' }))).toEqual(['tenantId', 'slug']);
  });

  it.each([
    ['an empty tenant id', { tenantId: '', slug: 'acme' }, /tenantId/],
    ['a tenant id with spaces', { tenantId: 'a b', slug: 'acme' }, /tenantId/],
    ['an uppercase slug', { tenantId, slug: 'Acme' }, /slug/],
    ['a two-letter slug', { tenantId, slug: 'ac' }, /slug/],
    ['a slug ending in a hyphen', { tenantId, slug: 'acme-' }, /slug/],
    ['an empty correlation id', { tenantId, slug: 'acme', correlationId: '' }, /correlationId/],
    ['an overlong correlation id', { tenantId, slug: 'acme', correlationId: 'x'.repeat(129) }, /correlationId/],
  ])('rejects %s with code invalid_tenant_context', (_case, input, message) => {
    expect(() => createTenantContext(input)).toThrow(message);
    expect(() => createTenantContext(input)).toThrow(expect.objectContaining({ code: 'invalid_tenant_context', kind: 'invalid_input' }));
  });

  it('derives a context for another correlation id without changing the original', () => {
    const original = createTenantContext({ tenantId, slug: 'acme', correlationId: 'a' });
    const derived = withCorrelationId(original, 'b');
    expect(derived).toEqual({ tenantId, slug: 'acme', correlationId: 'b' });
    expect(original.correlationId).toBe('a');
  });

  it('cannot be forged from an object literal (compile-time check)', () => {
    // @ts-expect-error a TenantContext is made only by createTenantContext
    const forged: TenantContext = { tenantId, slug: 'acme' };
    expect(forged.slug).toBe('acme');
  });
});
