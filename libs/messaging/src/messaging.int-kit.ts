import type { Message, PubSub } from '@google-cloud/pubsub';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import type { MessagingSettings, ServiceSettings } from '@pulse/config';
import { startEmulatorUnderTest, startPubSubEmulator, type EmulatorUnderTest, type RunningPubSubEmulator } from '@pulse/pubsub-emulator';
import { createServiceApp } from '@pulse/service-runtime';
import { freePort } from '@pulse/testing';
import { connectEventConsumers } from './consuming/connect-event-consumers';
import { MessagingModule } from './messaging.module';
import { createPubSubClient } from './pubsub-client';

// Helpers shared by the messaging integration tests: the project's emulator in-process, real Nest apps
// with the real transport, and a reader for dead-letter topics.

/**
 * The project's emulator in-process, on a given port so a test can restart it where it was. Its first
 * port is one no outgoing connection can take while it is stopped (freePort), or the restart could fail
 * with EADDRINUSE on a busy machine.
 */
export async function startEmulator(port?: number): Promise<RunningPubSubEmulator> {
  return startPubSubEmulator({ host: '127.0.0.1', port: port ?? (await freePort()) });
}

/**
 * The server transport tests run against: the project's emulator, or with
 * PUBSUB_EMULATOR_UNDER_TEST=gcloud the Google Cloud SDK's, so both are known to agree.
 */
export function startServerUnderTest(): Promise<EmulatorUnderTest> {
  return startEmulatorUnderTest();
}

export function messagingSettings(emulator: { address: string }, overrides: Partial<MessagingSettings> = {}): MessagingSettings {
  return {
    projectId: 'pulse-test',
    emulatorHost: emulator.address,
    autoCreate: true,
    maxDeliveryAttempts: 5,
    maxInFlight: 10,
    ackDeadlineSeconds: 10,
    // No backoff, so retry tests take milliseconds rather than the production 10 s.
    minBackoffSeconds: 0,
    maxBackoffSeconds: 1,
    outboxSweepIntervalMs: 1_000,
    ...overrides,
  };
}

function serviceSettings(name: string): ServiceSettings {
  return {
    name,
    version: 'test',
    environment: 'test',
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'error', format: 'json' },
    shutdownTimeoutMs: 10_000,
  };
}

/** A Nest app like a service's: the messaging module plus the given feature modules (controllers with handlers). */
export async function startServiceApp(
  name: string,
  settings: MessagingSettings,
  features: Array<Type | DynamicModule> = [],
  options: { consume?: boolean } = {},
): Promise<INestApplication> {
  @Module({ imports: [MessagingModule.forRoot({ settings }), ...features] })
  class TestRootModule {}
  const app = await createServiceApp({ module: TestRootModule }, serviceSettings(name));
  if (options.consume) await connectEventConsumers(app, name);
  await app.init();
  return app;
}

/** Collects what arrives on a subscription (e.g. a dead-letter hold subscription). */
export function collect(pubsub: PubSub, subscription: string): { messages: Message[]; close: () => Promise<void> } {
  const messages: Message[] = [];
  const sub = pubsub.subscription(subscription);
  sub.on('message', (message: Message) => {
    messages.push(message);
    message.ack();
  });
  return { messages, close: () => sub.close() };
}

/** A client of the test's own, configured as the services' are. */
export function testPubSub(settings: MessagingSettings): PubSub {
  return createPubSubClient(settings);
}

/** What the app's /readyz answers: its status code and problem+json or terminus body. */
export async function readiness(app: INestApplication): Promise<{ status: number; body: { checks?: Record<string, { status: string; message?: string }> } }> {
  const fastify = app.getHttpAdapter().getInstance() as {
    inject: (request: { method: string; url: string }) => Promise<{ statusCode: number; body: string }>;
  };
  const response = await fastify.inject({ method: 'GET', url: '/readyz' });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

/** The ids of the subscriptions whose id starts with `prefix`, sorted. */
export async function subscriptionIds(pubsub: PubSub, prefix: string): Promise<string[]> {
  const [subscriptions] = await pubsub.getSubscriptions();
  return subscriptions
    .map((subscription) => subscription.name.split('/').pop() ?? '')
    .filter((id) => id.startsWith(prefix))
    .sort();
}
