// Lifecycle of this emulator itself (not a parity test): ports, and a stop() that does not leave
// streams or pulls hanging. Plain grpc-js clients, so no client-library retries blur what stop() did.
import { Client, credentials, makeClientConstructor, ServiceError, status } from '@grpc/grpc-js';
import { loadPubSubServices } from './api/load-pubsub-services';
import { startPubSubEmulator } from './start-pubsub-emulator';

const services = loadPubSubServices();
const PublisherClient = makeClientConstructor(services.publisher, 'Publisher');
const SubscriberClient = makeClientConstructor(services.subscriber, 'Subscriber');

type UnaryMethod = (request: object, callback: (error: ServiceError | null, response: unknown) => void) => void;

function call(client: Client, method: string, request: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, UnaryMethod>)[method].bind(client);
    fn(request, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

describe('startPubSubEmulator', () => {
  it('listens on a free port when asked for port 0, and refuses a port that is taken', async () => {
    const emulator = await startPubSubEmulator({ port: 0 });
    try {
      expect(emulator.port).toBeGreaterThan(0);
      expect(emulator.host).toBe('127.0.0.1');
      expect(emulator.address).toBe(`127.0.0.1:${emulator.port}`);
      // grpc-js logs the failed bind itself; the rejection is what matters here.
      const grpcLog = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      await expect(startPubSubEmulator({ port: emulator.port })).rejects.toThrow();
      grpcLog.mockRestore();
    } finally {
      await emulator.stop();
    }
  });

  it('ends open streams and waiting pulls with UNAVAILABLE when stopped, and stops promptly', async () => {
    const emulator = await startPubSubEmulator({ port: 0 });
    const publisher = new PublisherClient(emulator.address, credentials.createInsecure());
    const subscriber = new SubscriberClient(emulator.address, credentials.createInsecure());
    try {
      const topic = 'projects/pulse-test/topics/lifecycle';
      const subscription = 'projects/pulse-test/subscriptions/lifecycle';
      await call(publisher, 'CreateTopic', { name: topic });
      await call(subscriber, 'CreateSubscription', { name: subscription, topic });

      const stream = (subscriber as unknown as { StreamingPull(): NodeJS.EventEmitter & { write(r: object): void } }).StreamingPull();
      const streamStatus = new Promise<number>((resolve) => stream.on('error', (error: ServiceError) => resolve(error.code)));
      stream.write({ subscription, streamAckDeadlineSeconds: 10 });
      const pullOutcome = call(subscriber, 'Pull', { subscription, maxMessages: 1 }).then(
        () => 'answered',
        (error: ServiceError) => error.code,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));

      const stoppingAt = Date.now();
      await emulator.stop();

      expect(Date.now() - stoppingAt).toBeLessThan(3000);
      await expect(streamStatus).resolves.toBe(status.UNAVAILABLE);
      await expect(pullOutcome).resolves.toBe(status.UNAVAILABLE);
      await expect(emulator.stop()).resolves.toBeUndefined();
    } finally {
      publisher.close();
      subscriber.close();
      await emulator.stop();
    }
  });

  it('answers methods it does not implement with UNIMPLEMENTED', async () => {
    const emulator = await startPubSubEmulator({ port: 0 });
    const subscriber = new SubscriberClient(emulator.address, credentials.createInsecure());
    try {
      await expect(call(subscriber, 'Seek', { subscription: 'projects/p/subscriptions/abc' })).rejects.toMatchObject({
        code: status.UNIMPLEMENTED,
      });
    } finally {
      subscriber.close();
      await emulator.stop();
    }
  });
});
