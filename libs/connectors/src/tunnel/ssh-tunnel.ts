import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Client } from 'ssh2';
import { ConnectorError } from '../connector-errors';
import type { SourceAddressPolicy } from '../network/source-address-policy';

export interface SshTunnelConfig {
  host: string;
  port?: number;
  username: string;
  privateKey?: string;
  passphrase?: string;
  password?: string;
  /**
   * The bastion's host key fingerprint, `SHA256:<base64>` as `ssh-keygen -lf` prints it. When set, a
   * server presenting another key is refused (no silent man-in-the-middle).
   */
  hostKeyFingerprint?: string;
  readyTimeoutMs?: number;
}

export interface OpenTunnel {
  /** Where the database driver connects instead of the real host. */
  host: string;
  port: number;
  close(): Promise<void>;
}

export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Opens an SSH connection to a bastion and a local listener on 127.0.0.1 whose connections are
 * forwarded (direct-tcpip) to the database behind it. One tunnel per sync; closing it ends both.
 *
 * The bastion's host is checked by the address policy and the SSH connection made to the checked
 * address. The database host is resolved and reached by the bastion, inside the tenant's network.
 */
export async function openSshTunnel(config: SshTunnelConfig, target: { host: string; port: number }, addresses: SourceAddressPolicy): Promise<OpenTunnel> {
  const bastion = await addresses.resolve(config.host);
  const ssh = new Client();
  let presented: string | null = null;
  await new Promise<void>((resolve, reject) => {
    ssh.once('ready', () => resolve());
    ssh.once('error', (error) => {
      const reason = presented !== null && config.hostKeyFingerprint && presented !== config.hostKeyFingerprint
        ? `the bastion's host key ${presented} is not the configured ${config.hostKeyFingerprint}`
        : error.message;
      reject(new ConnectorError('source_unreachable', `SSH tunnel to ${config.host}:${config.port ?? 22} failed: ${reason}`));
    });
    ssh.connect({
      host: bastion.address,
      port: config.port ?? 22,
      username: config.username,
      privateKey: config.privateKey,
      passphrase: config.passphrase,
      password: config.password,
      readyTimeout: config.readyTimeoutMs ?? 15_000,
      hostVerifier: (key: Buffer) => {
        presented = hostKeyFingerprint(key);
        return !config.hostKeyFingerprint || presented === config.hostKeyFingerprint;
      },
    });
  });

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    ssh.forwardOut('127.0.0.1', socket.remotePort ?? 0, target.host, target.port, (error, channel) => {
      if (error) {
        socket.destroy(error);
        return;
      }
      socket.pipe(channel).pipe(socket);
      channel.on('close', () => socket.destroy());
      socket.on('error', () => channel.close());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // The bastion dropping the connection must fail the sync's queries, not crash the process.
  ssh.on('error', () => server.close());

  return {
    host: '127.0.0.1',
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      ssh.end();
    },
  };
}
