import { normalizeHost } from './host-name';

describe('normalizeHost', () => {
  it.each([
    ['demo.pulse.test', 'demo.pulse.test'],
    ['DEMO.Pulse.TEST', 'demo.pulse.test'],
    ['demo.pulse.test.', 'demo.pulse.test'],
    ['demo.pulse.test:3000', 'demo.pulse.test'],
    ['DEMO.PULSE.TEST.:443', 'demo.pulse.test'],
    // RFC 3986 3.2.3: an empty port is allowed, and means the scheme's default.
    ['demo.pulse.test:', 'demo.pulse.test'],
    ['localhost', 'localhost'],
    ['127.0.0.1:8080', '127.0.0.1'],
    ['[::1]:3000', '[::1]'],
    ['[::1]', '[::1]'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
    ['[::ffff:127.0.0.1]:80', '[::ffff:127.0.0.1]'],
    ['xn--dmo-bpa.example.com', 'xn--dmo-bpa.example.com'],
    ['my_service.internal:8080', 'my_service.internal'],
    [`${'a'.repeat(63)}.example.com`, `${'a'.repeat(63)}.example.com`],
    ['demo.pulse.test:65535', 'demo.pulse.test'],
    ['demo.pulse.test:00080', 'demo.pulse.test'],
  ])('reads %j as %j', (host, expected) => {
    expect(normalizeHost(host)).toBe(expected);
  });

  it.each([
    '',
    'demo.pulse.test:abc',
    'demo.pulse.test:80a',
    'demo.pulse.test:65536',
    'demo.pulse.test:123456',
    'demo.pulse.test::80',
    'demo.pulse.test..',
    'demo..pulse.test',
    '.demo.pulse.test',
    '.',
    'demo.pulse.test :3300',
    'demo.pulse.test ',
    ' demo.pulse.test',
    'demo pulse.test',
    'demo\tpulse.test',
    'demo%2epulse.test',
    'user@demo.pulse.test',
    'demo.pulse.test/',
    'demo.pulse.test?',
    'demo.pulse.test#',
    'demo.pulse.test\\',
    'démo.pulse.test',
    'demo,pulse.test',
    'demo;pulse.test',
    `${'a'.repeat(64)}.example.com`,
    `${'abcdefghi.'.repeat(26)}com`,
    '[::1',
    '::1',
    '[::1]x',
    '[::1]:abc',
    '[fe80::1%25eth0]',
    '[v1.fe80::a+en1]',
    '[127.0.0.1]',
    '[]',
  ])('refuses %j with 400 invalid_host', (host) => {
    expect(() => normalizeHost(host)).toThrow(expect.objectContaining({ kind: 'invalid_input', code: 'invalid_host' }));
  });

  it('names where the host came from, and echoes at most the start of a long value', () => {
    expect(() => normalizeHost('demo.pulse.test:abc', 'X-Forwarded-Host')).toThrow('X-Forwarded-Host "demo.pulse.test:abc" is not a valid host[:port]');
    const long = `${'x'.repeat(500)}..`;
    let message = '';
    try {
      normalizeHost(long, 'Host');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Host "x{64}…" is not a valid host\[:port\]/);
  });
});
