import { DomainError } from '@pulse/errors';
import { isIPv6 } from 'node:net';

/** A DNS name: labels of 1 to 63 letters, digits, hyphens or underscores, 253 characters at most, one optional trailing dot. */
const DNS_NAME = /^(?=.{1,253}\.?$)[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*\.?$/;
/** An optional port: digits (RFC 3986 allows none at all: the scheme's default). */
const PORT = /^(?::(\d{0,5}))?$/;
const MAX_PORT = 65_535;
/** How much of a refused value a message echoes back. */
const ECHOED_CHARACTERS = 64;

/**
 * A host as names compare: a Host (or X-Forwarded-Host, Forwarded `host=`, request target authority)
 * value `host[:port]` of RFC 9110 7.2 / RFC 3986 3.2.2, lower-cased, without its port and its trailing
 * dot. The host is a DNS name (a dotted IPv4 address is one too) or a bracketed IPv6 address.
 *
 * Anything else throws 400 `invalid_host`: a value that is not a valid host is never taken for "no
 * tenant's host" (the bare API host), or `acme.pulse.test..`, `acme.pulse.test:abc` or
 * `acme.pulse.test :443` would let another tenant's key past the host check. Stricter than RFC 3986's
 * reg-name where no DNS name could match: percent-encoding, sub-delimiters, empty labels, zone ids and
 * IPvFuture literals are refused, not decoded, so one host has one spelling here.
 */
export function normalizeHost(value: string, source = 'The host'): string {
  const normalized = hostOf(value.toLowerCase());
  if (normalized === undefined) {
    const echoed = value.length > ECHOED_CHARACTERS ? `${value.slice(0, ECHOED_CHARACTERS)}…` : value;
    throw new DomainError('invalid_input', 'invalid_host', `${source} ${JSON.stringify(echoed)} is not a valid host[:port] (RFC 9110, 7.2).`);
  }
  return normalized;
}

function hostOf(value: string): string | undefined {
  let host: string;
  let rest: string;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return undefined;
    host = value.slice(0, end + 1);
    rest = value.slice(end + 1);
    // No zone id (`%25eth0`, which node:net would take): a zone names an interface of the client's host.
    const address = host.slice(1, -1);
    if (!/^[0-9a-f:.]+$/.test(address) || !isIPv6(address)) return undefined;
  } else {
    const colon = value.indexOf(':');
    host = colon < 0 ? value : value.slice(0, colon);
    rest = colon < 0 ? '' : value.slice(colon);
    if (!DNS_NAME.test(host)) return undefined;
    host = host.replace(/\.$/, '');
  }
  const port = PORT.exec(rest);
  if (!port || Number(port[1] || 0) > MAX_PORT) return undefined;
  return host;
}
