export interface CliArguments {
  readonly host: string;
  readonly port: number;
}

export type CliParseResult =
  | { readonly kind: 'run'; readonly args: CliArguments }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

export const USAGE = `Usage: pubsub-emulator [--host <host>] [--port <port>]

Google Pub/Sub (google.pubsub.v1 over gRPC) in memory, for tests and local development.
  --host  interface to bind (default 127.0.0.1)
  --port  port to listen on (default 8085; 0 picks a free one)
Point clients at it with PUBSUB_EMULATOR_HOST=<host>:<port>.`;

/** Parses `--host`/`--port` in both `--flag value` and `--flag=value` forms. */
export function parseCliArguments(argv: readonly string[]): CliParseResult {
  let host = '127.0.0.1';
  let port = 8085;
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inlineValue] = argv[i].split(/=(.*)/s, 2);
    if (flag === '--help' || flag === '-h') return { kind: 'help' };
    if (flag !== '--host' && flag !== '--port') return { kind: 'error', message: `Unknown argument: ${argv[i]}` };
    const value = inlineValue ?? argv[++i];
    if (value === undefined || value === '') return { kind: 'error', message: `${flag} needs a value` };
    if (flag === '--host') {
      host = value;
    } else {
      port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        return { kind: 'error', message: `--port must be an integer from 0 to 65535, got ${value}` };
      }
    }
  }
  return { kind: 'run', args: { host, port } };
}
