import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ConnectorError } from '../connector-errors';

/** The operator setting that widens the policy (named in every refusal, so the fix is findable). */
export const ALLOW_LIST_SETTING = 'SOURCE_ALLOWED_PRIVATE_NETWORKS';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** What ipaddr.js calls each special range, as a refusal message says it. Anything else non-public: "special-purpose". */
const RANGE_NAMES: Record<string, string> = {
  loopback: 'loopback',
  private: 'private (RFC 1918)',
  linkLocal: 'link-local (this includes the cloud metadata server)',
  carrierGradeNat: 'carrier-grade NAT (RFC 6598)',
  uniqueLocal: 'unique-local IPv6 (fc00::/7)',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
  reserved: 'reserved',
};

/** An address a connection may use, with the range it is in ('unicast' = public). */
export interface CheckedAddress {
  /** The host as configured (a name or an address literal). */
  host: string;
  /** The address to connect to: pinned, so no second DNS answer can swap it for another. */
  address: string;
  family: 4 | 6;
  range: string;
}

export interface AddressLookup {
  (host: string): Promise<{ address: string; family: number }[]>;
}

const systemLookup: AddressLookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/** IPv4-mapped IPv6 (::ffff:127.0.0.1) is read as the IPv4 address it carries. */
function parse(address: string): Address {
  return ipaddr.process(address.replace(/%.*$/, ''));
}

function ipv4Of(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * The IPv4 addresses an IPv6 address carries, which a packet to it ends up at: IPv4-compatible
 * (`::7f00:1`, ::/96, but `::` and `::1`), IPv4-translated (::ffff:0:0/96), NAT64's well-known prefix
 * (64:ff9b::/96), 6to4 (2002:AABB:CCDD::/48) and Teredo (2001::/32: its server's address, and its
 * client's, stored inverted). None for any other address. ipaddr.js calls ::/96 unicast, so
 * `::7f00:1` would pass for public; the others it puts in ranges of their own, which say nothing of the
 * address inside. (The local-use NAT64 prefix 64:ff9b:1::/48 embeds it where its operator chose: not read.)
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4[] {
  const [p0, p1, p2, p3, p4, p5, p6, p7] = address.parts as [number, number, number, number, number, number, number, number];
  const range = address.range();
  if (range === 'unspecified' || range === 'loopback') return [];
  if (p0 === 0 && p1 === 0 && p2 === 0 && p3 === 0 && p4 === 0 && p5 === 0) return [ipv4Of(p6, p7)];
  if (range === 'rfc6145') return [ipv4Of(p6, p7)];
  if (p0 === 0x64 && p1 === 0xff9b && p2 === 0 && p3 === 0 && p4 === 0 && p5 === 0) return [ipv4Of(p6, p7)];
  if (p0 === 0x2002) return [ipv4Of(p1, p2)];
  if (range === 'teredo') return [ipv4Of(p2, p3), ipv4Of(p6 ^ 0xffff, p7 ^ 0xffff)];
  return [];
}

/**
 * How the policy sees an address: its range, which for an IPv6 form carrying IPv4 addresses is the
 * first non-public range of those (else 'unicast'), and those addresses.
 */
function classify(address: string): { parsed: Address; range: string; embedded: ipaddr.IPv4[] } {
  const parsed = parse(address);
  const embedded = parsed.kind() === 'ipv6' ? embeddedIPv4(parsed as ipaddr.IPv6) : [];
  if (embedded.length === 0) return { parsed, range: parsed.range(), embedded };
  const range = embedded.map((ipv4) => ipv4.range()).find((name) => name !== 'unicast') ?? 'unicast';
  return { parsed, range, embedded };
}

function normaliseHostName(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * Which addresses tenant-configured sources may connect to. Public unicast addresses always; loopback,
 * private, link-local (the metadata server), CGNAT, unique-local, unspecified, multicast, broadcast and
 * other special-purpose ranges only where the operator's allow-list names the network or the configured
 * host name. Ranges come from ipaddr.js; an IPv6 address carrying an IPv4 one (mapped, IPv4-compatible,
 * NAT64, 6to4, Teredo) is judged by the IPv4 address it carries.
 *
 * Every connector resolves a host through `resolve` and connects to the address it returns, so the
 * address checked is the address used (no DNS-rebinding window between check and connect).
 */
export class SourceAddressPolicy {
  private constructor(
    private readonly networks: readonly [Address, number][],
    private readonly hostNames: ReadonlySet<string>,
    readonly allowList: readonly string[],
    private readonly lookup: AddressLookup,
  ) {}

  /** Public addresses only: the production default. */
  static publicOnly(lookup: AddressLookup = systemLookup): SourceAddressPolicy {
    return SourceAddressPolicy.allowing([], lookup);
  }

  /**
   * Public addresses plus the listed entries: CIDRs (`10.20.0.0/16`, `fd00::/8`), single addresses
   * (`127.0.0.1`) or host names (`db.internal`: whatever that name resolves to).
   */
  static allowing(entries: readonly string[], lookup: AddressLookup = systemLookup): SourceAddressPolicy {
    const networks: [Address, number][] = [];
    const hostNames = new Set<string>();
    for (const raw of entries) {
      const entry = raw.trim();
      if (entry === '') continue;
      if (entry.includes('/')) {
        // IPv4 ranges in dotted-quad form only: ipaddr.js would also read `10.0.0/8` as 10.0.0.0/8.
        if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) && !ipaddr.IPv6.isValidCIDR(entry)) {
          throw new Error(`${ALLOW_LIST_SETTING}: "${entry}" is not a CIDR range`);
        }
        const [network, bits] = ipaddr.parseCIDR(entry);
        // A mapped IPv6 range (::ffff:10.0.0.0/104) is kept as the IPv4 range it denotes, as addresses are.
        if (network.kind() === 'ipv6' && (network as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
          networks.push([(network as ipaddr.IPv6).toIPv4Address(), bits - 96]);
        } else {
          networks.push([network, bits]);
        }
      } else if (ipaddr.isValid(entry) && isIP(entry.replace(/%.*$/, '')) !== 0) {
        const address = parse(entry);
        networks.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(entry)) {
        hostNames.add(normaliseHostName(entry));
      } else {
        throw new Error(`${ALLOW_LIST_SETTING}: "${entry}" is neither a CIDR range, an IP address nor a host name`);
      }
    }
    return new SourceAddressPolicy(networks, hostNames, entries.map((entry) => entry.trim()).filter(Boolean), lookup);
  }

  /**
   * The range ipaddr.js puts an address in: 'unicast' for public addresses, else 'loopback', 'private', ...
   * An IPv6 form carrying an IPv4 address (NAT64, 6to4, ...) is in the range of the IPv4 address.
   */
  static rangeOf(address: string): string {
    return classify(address).range;
  }

  /**
   * Whether `host` (as configured) may connect to `address` (as resolved). An IPv6 form carrying IPv4
   * addresses is allowed when a listed IPv6 range holds it as written, or when each of the IPv4
   * addresses it carries is public or in a listed range.
   */
  allows(host: string, address: string): boolean {
    const { parsed, range, embedded } = classify(address);
    if (range === 'unicast') return true;
    if (this.hostNames.has(normaliseHostName(host))) return true;
    const listed = (candidate: Address) => this.networks.some(([network, bits]) => network.kind() === candidate.kind() && candidate.match(network, bits));
    if (listed(parsed)) return true;
    return embedded.length > 0 && embedded.every((ipv4) => ipv4.range() === 'unicast' || listed(ipv4));
  }

  /**
   * Resolves `host` (an address literal is taken as it is) and returns the first address the policy
   * allows, or throws `source_address_not_allowed` naming the host, the address and its range.
   */
  async resolve(host: string): Promise<CheckedAddress> {
    const literal = host.replace(/^\[(.*)\]$/, '$1');
    const candidates = isIP(literal) !== 0 ? [{ address: literal, family: isIP(literal) }] : await this.lookupOrThrow(host);
    let refused: { address: string; range: string } | null = null;
    for (const candidate of candidates) {
      const range = SourceAddressPolicy.rangeOf(candidate.address);
      if (this.allows(host, candidate.address)) {
        return { host, address: candidate.address, family: candidate.family === 6 ? 6 : 4, range };
      }
      refused ??= { address: candidate.address, range };
    }
    const first = refused ?? { address: '(none)', range: 'unknown' };
    throw new SourceAddressNotAllowedError(host, first.address, first.range);
  }

  private async lookupOrThrow(host: string): Promise<{ address: string; family: number }[]> {
    try {
      const found = await this.lookup(host);
      if (found.length === 0) throw new Error('no addresses');
      return found;
    } catch (error) {
      throw new ConnectorError('source_unreachable', `Cannot resolve the source host ${host}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** A source host that is (or resolves to) an address the operator has not allowed. */
export class SourceAddressNotAllowedError extends ConnectorError {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    const kind = RANGE_NAMES[range] ?? `special-purpose (${range})`;
    const resolved = host === address ? `is a ${kind} address` : `resolves to ${address}, a ${kind} address`;
    super(
      'source_address_not_allowed',
      `The source host ${host} ${resolved}. Sources may only reach public addresses unless the Pulse operator allows ` +
        `the network or host in ${ALLOW_LIST_SETTING} (docs/connectors.md, "Private networks").`,
    );
  }
}

/**
 * The address refusal behind an error, if there is one. Connectors wrap transport failures in their own
 * errors (the HTTP client reports "Cannot reach ..."), so a refusal can arrive as a cause.
 */
export function addressRefusalIn(error: unknown): SourceAddressNotAllowedError | null {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if (current instanceof SourceAddressNotAllowedError) return current;
  }
  return null;
}
