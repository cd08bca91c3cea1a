// Runs the emulator as a process: `node dist/tools/pubsub-emulator/main.js --port 8085`.
import { parseCliArguments, USAGE } from './cli/cli-arguments';
import { startPubSubEmulator } from './start-pubsub-emulator';

async function main(): Promise<void> {
  const parsed = parseCliArguments(process.argv.slice(2));
  if (parsed.kind === 'help') {
    console.log(USAGE);
    return;
  }
  if (parsed.kind === 'error') {
    console.error(`${parsed.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const emulator = await startPubSubEmulator({
    ...parsed.args,
    logger: (line) => console.log(`[pubsub-emulator] ${line}`),
  });
  console.log(`Pub/Sub emulator listening on ${emulator.address}`);

  const stopOn = (signal: NodeJS.Signals) =>
    process.once(signal, () => {
      emulator.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error('Pub/Sub emulator did not stop cleanly', error);
          process.exit(1);
        },
      );
    });
  stopOn('SIGINT');
  stopOn('SIGTERM');
}

main().catch((error: unknown) => {
  console.error('Pub/Sub emulator failed to start', error);
  process.exit(1);
});
