import { PubSubApiError } from '../api/api-error';
import { Delivery } from '../queue/subscription-queue';
import { ConsumerCapacity, DeliveryConsumer } from './delivery-consumer';

/**
 * A unary Pull waiting for messages. Like the real service, Pull does not answer "nothing" at once
 * (unless `return_immediately`): it waits for messages up to a bound and answers with the first batch.
 */
export class PullWaiter implements DeliveryConsumer {
  readonly result: Promise<Delivery[]>;
  private resolve!: (deliveries: Delivery[]) => void;
  private reject!: (error: PubSubApiError) => void;
  private settled = false;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly leaseholder: string,
    private readonly maxMessages: number,
    private readonly onSettled: (waiter: PullWaiter) => void,
  ) {
    this.result = new Promise<Delivery[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Answers empty after `waitMs` unless messages came first. */
  giveUpAfter(waitMs: number): void {
    if (this.settled) return;
    this.timer = setTimeout(() => this.giveUp(), waitMs);
    this.timer.unref();
  }

  capacity(): ConsumerCapacity | undefined {
    return this.settled ? undefined : { maxOutstandingMessages: this.maxMessages, maxOutstandingBytes: 0 };
  }

  deliver(deliveries: Delivery[]): void {
    if (this.settle()) this.resolve(deliveries);
  }

  /** The wait is over (or the caller went away): answer with no messages. */
  giveUp(): void {
    if (this.settle()) this.resolve([]);
  }

  terminate(error: PubSubApiError): void {
    if (this.settle()) this.reject(error);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    this.onSettled(this);
    return true;
  }
}
