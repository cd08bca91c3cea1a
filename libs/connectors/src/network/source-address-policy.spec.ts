import { ConnectorError } from '../connector-errors';
import { SecretScrubber } from '../security/secret-scrubber';
import { SourceAddressNotAllowedError, SourceAddressPolicy, type AddressLookup } from './source-address-policy';

/** A resolver answering from a table, as DNS would (no network in unit tests). */
function dns(records: Record<string, string[]>): AddressLookup {
  return async (host) => {
    const found = records[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

describe('SourceAddressPolicy (public only, the default)', () => {
  const policy = SourceAddressPolicy.publicOnly(dns({}));

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['::1', 'loopback'],
    ['10.20.30.40', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['169.254.169.252', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    // IPv4-mapped IPv6 is judged as the IPv4 address inside it.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::ffff:10.0.0.1', 'private'],
    // Every other IPv6 form carrying an IPv4 address is judged as that address too: IPv4-compatible
    // (::/96), IPv4-translated (::ffff:0:0/96), NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo
    // (2001::/32: its server, and its client stored inverted).
    ['::7f00:1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['::a00:1', 'private'],
    ['::169.254.169.254', 'linkLocal'],
    ['::2', 'unspecified'],
    ['::ffff:0:7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::10.1.2.3', 'private'],
    ['64:ff9b::a9fe:a9fe', 'linkLocal'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101:5::1', 'private'],
    ['2002:a9fe:a9fe::1', 'linkLocal'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
    ['2001:0:a00:1::f7f7:f7f7', 'private'],
    // The local-use NAT64 prefix (RFC 8215) puts the IPv4 address where its operator chose: not readable, refused.
    ['64:ff9b:1::7f00:1', 'rfc6052'],
  ])('refuses %s (%s)', async (address, range) => {
    expect(SourceAddressPolicy.rangeOf(address)).toBe(range);
    expect(policy.allows(address, address)).toBe(false);
    await expect(policy.resolve(address)).rejects.toMatchObject({ code: 'source_address_not_allowed', kind: 'forbidden', address, range });
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    // The IPv6 forms of a public IPv4 address reach that address: NAT64 (an IPv6-only cluster's DNS64 answers), 6to4, Teredo.
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  ])('allows the public address %s', async (address) => {
    expect(policy.allows(address, address)).toBe(true);
    await expect(policy.resolve(address)).resolves.toMatchObject({ address, range: 'unicast' });
  });

  it('accepts a bracketed IPv6 literal as URLs write it', async () => {
    await expect(policy.resolve('[::1]')).rejects.toMatchObject({ code: 'source_address_not_allowed', range: 'loopback' });
  });

  it('names the host, the resolved address, its class and the operator setting in the refusal', async () => {
    const named = SourceAddressPolicy.publicOnly(dns({ 'metadata.google.internal': ['169.254.169.254'] }));
    const refusal = await named.resolve('metadata.google.internal').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SourceAddressNotAllowedError);
    expect((refusal as Error).message).toBe(
      'The source host metadata.google.internal resolves to 169.254.169.254, a link-local (this includes the cloud metadata server) address. ' +
        'Sources may only reach public addresses unless the Pulse operator allows the network or host in SOURCE_ALLOWED_PRIVATE_NETWORKS (docs/connectors.md, "Private networks").',
    );
  });

  it('connects to a checked address only: a name with a private and a public address gets the public one', async () => {
    const mixed = SourceAddressPolicy.publicOnly(dns({ 'api.example.com': ['127.0.0.1', '93.184.215.14'] }));
    await expect(mixed.resolve('api.example.com')).resolves.toEqual({ host: 'api.example.com', address: '93.184.215.14', family: 4, range: 'unicast' });
  });

  it('reports a name that does not resolve as unreachable, not as refused', async () => {
    const refusal = await policy.resolve('nowhere.example').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConnectorError);
    expect(refusal).toMatchObject({ code: 'source_unreachable', message: expect.stringContaining('Cannot resolve the source host nowhere.example') });
  });
});

describe('SourceAddressPolicy with an operator allow-list', () => {
  const records = dns({ 'db.internal': ['10.20.5.6'], 'DB.Internal': ['10.20.5.6'], 'other.internal': ['10.20.5.6'], localhost: ['::1', '127.0.0.1'] });

  it('allows addresses inside a listed CIDR and nothing next to it', async () => {
    const policy = SourceAddressPolicy.allowing(['10.20.0.0/16'], records);
    await expect(policy.resolve('10.20.99.1')).resolves.toMatchObject({ address: '10.20.99.1', range: 'private' });
    await expect(policy.resolve('other.internal')).resolves.toMatchObject({ address: '10.20.5.6' });
    await expect(policy.resolve('10.21.0.1')).rejects.toMatchObject({ code: 'source_address_not_allowed' });
    await expect(policy.resolve('127.0.0.1')).rejects.toMatchObject({ code: 'source_address_not_allowed' });
    await expect(policy.resolve('169.254.169.254')).rejects.toMatchObject({ code: 'source_address_not_allowed' });
  });

  it('applies an IPv4 range to the IPv4-mapped IPv6 form of its addresses, and a mapped range to IPv4', async () => {
    expect(SourceAddressPolicy.allowing(['10.20.0.0/16'], records).allows('::ffff:10.20.0.9', '::ffff:10.20.0.9')).toBe(true);
    expect(SourceAddressPolicy.allowing(['::ffff:10.20.0.0/112'], records).allows('10.20.0.9', '10.20.0.9')).toBe(true);
    expect(SourceAddressPolicy.allowing(['::ffff:10.20.0.0/112'], records).allows('10.21.0.9', '10.21.0.9')).toBe(false);
  });

  it('applies an IPv4 range to the other IPv6 forms carrying its addresses, and an IPv6 range to those forms as written', () => {
    const loopback = SourceAddressPolicy.allowing(['127.0.0.0/8'], records);
    for (const address of ['::7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::', '2001:0:4136:e378:8000:63bf:80ff:fffe']) {
      expect([address, loopback.allows(address, address)]).toEqual([address, true]);
    }
    expect(loopback.allows('64:ff9b::a00:1', '64:ff9b::a00:1')).toBe(false);
    // A Teredo address is allowed only when both the server and the client it names are: here the server is private.
    expect(loopback.allows('2001:0:a00:1::80ff:fffe', '2001:0:a00:1::80ff:fffe')).toBe(false);
    expect(SourceAddressPolicy.allowing(['64:ff9b::/96'], records).allows('64:ff9b::a00:1', '64:ff9b::a00:1')).toBe(true);
  });

  it('allows a single address and IPv6 ranges', async () => {
    const policy = SourceAddressPolicy.allowing(['127.0.0.1', 'fd00:ec2::/32'], records);
    expect(policy.allows('127.0.0.1', '127.0.0.1')).toBe(true);
    expect(policy.allows('127.0.0.2', '127.0.0.2')).toBe(false);
    expect(policy.allows('fd00:ec2::254', 'fd00:ec2::254')).toBe(true);
    expect(policy.allows('fd00:ec3::1', 'fd00:ec3::1')).toBe(false);
  });

  it('allows whatever a listed host name resolves to, matched case-insensitively, and only that name', async () => {
    const policy = SourceAddressPolicy.allowing(['db.internal'], records);
    await expect(policy.resolve('DB.Internal')).resolves.toMatchObject({ address: '10.20.5.6' });
    await expect(policy.resolve('other.internal')).rejects.toMatchObject({ code: 'source_address_not_allowed', address: '10.20.5.6' });
  });

  it('allows loopback in both families with the list local development and tests use', async () => {
    const policy = SourceAddressPolicy.allowing(['127.0.0.0/8', '::1/128'], records);
    await expect(policy.resolve('localhost')).resolves.toMatchObject({ address: '::1', family: 6 });
    await expect(policy.resolve('127.0.0.1')).resolves.toMatchObject({ address: '127.0.0.1', family: 4 });
    await expect(policy.resolve('::ffff:127.0.0.1')).resolves.toMatchObject({ address: '::ffff:127.0.0.1' });
  });

  it.each(['10.0.0.0/33', '10.0.0/8', 'not a host', 'db_internal', 'http://db.internal'])('rejects the malformed entry %j', (entry) => {
    expect(() => SourceAddressPolicy.allowing([entry])).toThrow('SOURCE_ALLOWED_PRIVATE_NETWORKS');
  });
});

describe('a refusal wrapped by a transport error', () => {
  it('leaves a connector with its own code and message', () => {
    const refusal = new SourceAddressNotAllowedError('127.0.0.1', '127.0.0.1', 'loopback');
    const wrapped = new ConnectorError('source_unreachable', `Cannot reach http://127.0.0.1/: ${refusal.message}`, { cause: refusal });
    const out = new SecretScrubber([]).scrubError(wrapped);
    expect(out).toMatchObject({ code: 'source_address_not_allowed', message: refusal.message });
  });
});
