import { applyMergePatch } from './json-merge-patch';

describe('applyMergePatch (RFC 7396)', () => {
  it('sets, replaces and removes keys, leaving the others alone', () => {
    expect(applyMergePatch({ currency: 'USD', dedicated: true, region: 'br' }, { currency: 'BRL', dedicated: null, tier: 2 })).toEqual({
      currency: 'BRL',
      region: 'br',
      tier: 2,
    });
  });

  it('merges nested objects, and replaces arrays and scalars whole', () => {
    const target = { branding: { color: 'red', logo: 'a.png' }, tags: ['a', 'b'], limit: { rows: 1 } };
    expect(applyMergePatch(target, { branding: { logo: null, font: 'Inter' }, tags: ['c'], limit: 5 })).toEqual({
      branding: { color: 'red', font: 'Inter' },
      tags: ['c'],
      limit: 5,
    });
  });

  it('creates an object where the target had none, without keeping the patch nulls', () => {
    expect(applyMergePatch({ branding: 'plain' }, { branding: { color: 'blue', logo: null } })).toEqual({ branding: { color: 'blue' } });
  });

  it('does not modify the target', () => {
    const target = { a: { b: 1 } };
    applyMergePatch(target, { a: { b: null } });
    expect(target).toEqual({ a: { b: 1 } });
  });

  it('ignores a __proto__ key instead of replacing the prototype', () => {
    const patched = applyMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(patched)).toBe(Object.prototype);
    expect(patched).toEqual({});
  });
});
