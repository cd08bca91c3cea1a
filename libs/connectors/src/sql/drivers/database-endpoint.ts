import { isIP } from 'node:net';
import type { SourceAddressPolicy } from '../../network/source-address-policy';

/** Where and as whom a database driver connects (after any SSH tunnel has replaced host and port). */
export interface DatabaseEndpoint {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** TLS to the database server; certificate verification stays on unless explicitly disabled. */
  ssl?: boolean | { rejectUnauthorized: boolean };
  /** Per-statement limit, so a runaway source query cannot hold a sync slot forever. */
  statementTimeoutMs?: number;
  /**
   * Set when host:port is Pulse's own SSH tunnel listener on loopback (openSshTunnel): that one
   * host:port is used as it is, the bastion's address having been checked by the policy instead.
   */
  viaTunnel?: boolean;
}

/**
 * The address a driver connects to for `host:port` (by default the endpoint's): resolved and checked by
 * the address policy, so the driver never resolves the name again. Pulse's own tunnel listener is
 * exempt, and only for exactly its host and port (a server-sent redirect elsewhere is still checked).
 */
export async function checkedDatabaseAddress(endpoint: DatabaseEndpoint, addresses: SourceAddressPolicy, host = endpoint.host, port = endpoint.port): Promise<string> {
  if (endpoint.viaTunnel && host === endpoint.host && port === endpoint.port) return host;
  return (await addresses.resolve(host)).address;
}

/** The TLS server name for a connection made to a pinned address: the configured host name (none for an address literal). */
export function tlsServerName(endpoint: DatabaseEndpoint): string | undefined {
  return isIP(endpoint.host) === 0 ? endpoint.host : undefined;
}
