import { z } from 'zod';
import { baseDomain } from './env-fields';
import { loadConfig } from './load-config';

describe('baseDomain', () => {
  const schema = z.object({ TENANT_BASE_DOMAIN: baseDomain('pulse.localhost') });
  const load = (value?: string) => loadConfig('demo', schema, value === undefined ? {} : { TENANT_BASE_DOMAIN: value }).TENANT_BASE_DOMAIN;

  it('keeps a domain as request hosts compare: lowercase, without a trailing dot', () => {
    expect(load('Pulse.Example.COM.')).toBe('pulse.example.com');
    expect(load(' api.pulse-cs.io ')).toBe('api.pulse-cs.io');
    expect(load('localhost')).toBe('localhost');
    expect(load()).toBe('pulse.localhost');
  });

  it('refuses what is no domain name, naming the variable', () => {
    expect(() => load('https://pulse.example.com')).toThrow('TENANT_BASE_DOMAIN: must be a domain name such as pulse.example.com');
    expect(() => load('pulse..example.com')).toThrow('TENANT_BASE_DOMAIN: must be a domain name');
    expect(() => load('*.pulse.example.com')).toThrow('TENANT_BASE_DOMAIN: must be a domain name');
  });
});
