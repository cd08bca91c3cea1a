import type { SourceConnection } from '@pulse/contracts';

/**
 * Where a source's stored credentials are sent: the hosts (and ports) that receive them, and whether the
 * connection to them is verified. A PATCH that changes this without giving the credentials again is
 * refused (apps/api update-source.use-case.ts): otherwise anyone allowed to edit a source could point it
 * at a server of their own and have Pulse hand it the password it keeps write-only. Google Sheets and
 * gs:// files send their key to Google only; what else a connection says (table, query, mapping-relevant
 * settings) does not move the secrets.
 */
export function credentialDestination(connection: SourceConnection): string {
  switch (connection.kind) {
    case 'postgres':
    case 'mysql':
    case 'mssql':
    case 'oracle':
      return JSON.stringify([
        connection.kind,
        connection.host.toLowerCase(),
        connection.port,
        connection.ssl ?? null,
        connection.sshTunnel ? [connection.sshTunnel.host.toLowerCase(), connection.sshTunnel.port, connection.sshTunnel.hostKeyFingerprint ?? null] : null,
      ]);
    case 'google_sheets':
      return JSON.stringify(['google_sheets']);
    case 'files':
      return JSON.stringify(['files', originOf(connection.url), connection.endpoint ? originOf(connection.endpoint) : null]);
    case 'rest':
      return JSON.stringify(['rest', originOf(connection.url), connection.auth]);
  }
}

/** `https://host:port` of a URL; for gs:// and s3:// the scheme alone (the cloud's own endpoint, or `endpoint`). */
function originOf(url: string): string {
  const parsed = new URL(url);
  return parsed.protocol === 'gs:' || parsed.protocol === 's3:' ? parsed.protocol : parsed.origin;
}
