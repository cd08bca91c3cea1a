import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startPubSubEmulator } from '../start-pubsub-emulator';

/**
 * The server the integration tests talk to. By default this emulator, started in-process; with
 * `PUBSUB_EMULATOR_UNDER_TEST=gcloud` the Google Cloud SDK's emulator (package
 * google-cloud-cli-pubsub-emulator, needs Java), so the same tests show both servers agree.
 */
export type EmulatorKind = 'in-process' | 'gcloud';

export interface EmulatorUnderTest {
  readonly kind: EmulatorKind;
  readonly host: string;
  readonly port: number;
  /** `host:port` for the client's `apiEndpoint` or PUBSUB_EMULATOR_HOST. */
  readonly address: string;
  stop(): Promise<void>;
}

const SDK_EMULATOR_RELATIVE_PATH = path.join('platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator');
const SDK_EMULATOR_START_TIMEOUT_MS = 30_000;
const SDK_EMULATOR_STOP_TIMEOUT_MS = 5_000;

export function emulatorKindUnderTest(): EmulatorKind {
  const requested = process.env.PUBSUB_EMULATOR_UNDER_TEST ?? 'in-process';
  if (requested === 'in-process' || requested === 'gcloud') return requested;
  throw new Error(`PUBSUB_EMULATOR_UNDER_TEST must be "in-process" or "gcloud", got "${requested}"`);
}

export async function startEmulatorUnderTest(kind: EmulatorKind = emulatorKindUnderTest()): Promise<EmulatorUnderTest> {
  if (kind === 'gcloud') return startSdkEmulator();
  const emulator = await startPubSubEmulator({ port: 0 });
  return { kind, ...emulator, stop: () => emulator.stop() };
}

async function startSdkEmulator(): Promise<EmulatorUnderTest> {
  const executable = findSdkEmulatorOrThrow();
  const host = '127.0.0.1';
  const port = await freePort(host);
  const child = spawn(executable, [`--host=${host}`, `--port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`SDK emulator did not start within ${SDK_EMULATOR_START_TIMEOUT_MS} ms:\n${output}`)), SDK_EMULATOR_START_TIMEOUT_MS);
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Server started, listening on \d+/.test(output)) done();
    };
    const onExit = (code: number | null) => fail(new Error(`SDK emulator exited with ${code} before it was ready:\n${output}`));
    function done() {
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve();
    }
    function fail(error: Error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('exit', onExit);
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), SDK_EMULATOR_STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(killer);
  };
  return { kind: 'gcloud', host, port, address: `${host}:${port}`, stop };
}

/** `PUBSUB_SDK_EMULATOR_BIN`, else where the Debian package puts it (as `dpkg -L` reports). */
function findSdkEmulatorOrThrow(): string {
  const candidates = [
    process.env.PUBSUB_SDK_EMULATOR_BIN,
    path.join('/usr/lib/google-cloud-sdk', SDK_EMULATOR_RELATIVE_PATH),
    ...packagedFiles('google-cloud-cli-pubsub-emulator').filter((file) => file.endsWith(SDK_EMULATOR_RELATIVE_PATH)),
  ];
  const found = candidates.find((candidate): candidate is string => Boolean(candidate && existsSync(candidate)));
  if (!found) {
    throw new Error(
      'PUBSUB_EMULATOR_UNDER_TEST=gcloud needs the Google Cloud SDK Pub/Sub emulator (apt package ' +
        'google-cloud-cli-pubsub-emulator, Java 17); set PUBSUB_SDK_EMULATOR_BIN if it is installed elsewhere.',
    );
  }
  return found;
}

function packagedFiles(debianPackage: string): string[] {
  try {
    return execFileSync('dpkg', ['-L', debianPackage], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
  } catch {
    return [];
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
