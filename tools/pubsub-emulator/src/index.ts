export { startPubSubEmulator } from './start-pubsub-emulator';
export type { PubSubEmulatorOptions, RunningPubSubEmulator } from './start-pubsub-emulator';
export { startEmulatorUnderTest, emulatorKindUnderTest } from './testing/emulator-under-test';
export type { EmulatorUnderTest, EmulatorKind } from './testing/emulator-under-test';
