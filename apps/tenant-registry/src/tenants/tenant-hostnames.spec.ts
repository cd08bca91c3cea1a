import { customHostnamesOrThrow } from './tenant-hostnames';

describe('customHostnamesOrThrow', () => {
  const tenant = { slug: 'alpha', baseDomain: 'pulse.localhost' };

  it('keeps hostnames outside the base domain, once each, and drops the tenant\'s own slug host', () => {
    expect(customHostnamesOrThrow(['cs.alpha.com', 'alpha.pulse.localhost', 'cs.alpha.com', 'pulse.localhost.example.org', 'xpulse.localhost'], tenant)).toEqual([
      'cs.alpha.com',
      'pulse.localhost.example.org',
      'xpulse.localhost',
    ]);
  });

  it('refuses another tenant\'s slug host, a future one, any name below them and the base domain itself, naming each', () => {
    let thrown: unknown;
    try {
      customHostnamesOrThrow(['cs.alpha.com', 'beta.pulse.localhost', 'zeta.pulse.localhost', 'x.alpha.pulse.localhost', 'pulse.localhost'], tenant);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ kind: 'unprocessable', code: 'tenant.hostname_reserved' });
    expect((thrown as { fieldErrors: { field: string; code: string }[] }).fieldErrors.map((e) => [e.field, e.code])).toEqual([
      ['body.hostnames.1', 'in_base_domain'],
      ['body.hostnames.2', 'in_base_domain'],
      ['body.hostnames.3', 'in_base_domain'],
      ['body.hostnames.4', 'in_base_domain'],
    ]);
  });
});
