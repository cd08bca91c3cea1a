import { assertValidKey, importObjectKey, tenantPrefix } from './object-key';

describe('object keys', () => {
  it('keys uploads per tenant and import', () => {
    expect(importObjectKey('7f1c2a9e-0000-4000-8000-000000000001', '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed', 'upload.csv')).toBe(
      'tenants/7f1c2a9e-0000-4000-8000-000000000001/imports/1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed/upload.csv',
    );
    expect(tenantPrefix('acme')).toBe('tenants/acme/');
  });

  it.each(['../etc/passwd', 'tenants//x', '/absolute', 'a/../b', 'a/b/', 'with space', 'a/.hidden', ''])('refuses %j', (key) => {
    expect(() => assertValidKey(key)).toThrow(expect.objectContaining({ code: 'object_storage.invalid_key' }));
  });
});
