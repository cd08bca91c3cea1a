import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';

/**
 * The kernel's range of ephemeral ports, from which it also gives every outgoing connection its local
 * port. A port taken from it for a server started later can meanwhile become the local end of some
 * process's connection (to PostgreSQL, say), and the server then fails with EADDRINUSE: seen in CI,
 * where many test processes connect at once. Linux only; elsewhere the OS picks.
 */
function ephemeralRangeStart(): number | undefined {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > 11_024 ? start : undefined;
  } catch {
    return undefined;
  }
}

const EPHEMERAL_START = ephemeralRangeStart();
/** How many ports below the ephemeral range to choose from. */
const SPAN = 10_000;

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error)));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A TCP port that was free on 127.0.0.1 a moment ago, for a server under test: below the kernel's
 * ephemeral range where there is one (so no outgoing connection can take it meanwhile), else the OS's pick.
 */
export async function freePort(): Promise<number> {
  if (EPHEMERAL_START !== undefined) {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const port = await tryListen(EPHEMERAL_START - 1 - Math.floor(Math.random() * SPAN));
      if (port !== undefined) return port;
    }
  }
  return (await tryListen(0)) as number;
}
