import { invalidArgument, notFound, PubSubApiError, unavailable } from '../api/api-error';
import { PubSubBroker, SubscriptionRecord } from '../broker/pubsub-broker';
import { Delivery } from '../queue/subscription-queue';
import { DeliveryConsumer } from './delivery-consumer';
import { PullWaiter } from './pull-waiter';

/** The real service caps a response at about this many messages. */
const MAX_MESSAGES_PER_RESPONSE = 1000;
const MAX_ACK_DEADLINE_SECONDS = 600;

interface SubscriptionDispatch {
  readonly consumers: DeliveryConsumer[];
  /** Rotates which consumer is offered messages first, so several streams share the backlog. */
  cursor: number;
  timer?: NodeJS.Timeout;
  timerAt?: number;
  pumping: boolean;
  pumpAgain: boolean;
}

export interface AckOptions {
  /**
   * Ignore malformed ack ids instead of failing the call. StreamingPull is lenient: one bad id must not
   * tear down a stream that carries other consumers' acks. Unary calls answer INVALID_ARGUMENT.
   */
  readonly lenient?: boolean;
}

/**
 * Moves messages from subscription backlogs to the consumers attached to them, and owns everything
 * that happens over time: one timer per subscription wakes it when a lease expires or a backed-off
 * message becomes deliverable. Acks, nacks and deadline changes come through here too, because each of
 * them can free capacity or produce dead letters.
 */
export class DeliveryEngine {
  private readonly dispatches = new Map<string, SubscriptionDispatch>();
  private nextLeaseholderNumber = 1;
  private stopped = false;

  constructor(
    private readonly broker: PubSubBroker,
    private readonly clock: () => number,
  ) {}

  newLeaseholderId(kind: 'stream' | 'pull'): string {
    return `${kind}-${this.nextLeaseholderNumber++}`;
  }

  attach(subscription: string, consumer: DeliveryConsumer): void {
    if (this.stopped) {
      consumer.terminate(unavailable('The emulator is shutting down'));
      return;
    }
    this.dispatchOf(subscription).consumers.push(consumer);
    this.deliverPending(subscription);
  }

  detach(subscription: string, consumer: DeliveryConsumer): void {
    const consumers = this.dispatches.get(subscription)?.consumers;
    const index = consumers?.indexOf(consumer) ?? -1;
    if (consumers && index >= 0) consumers.splice(index, 1);
  }

  /** Unary Pull: answers with what is deliverable now, or waits up to `waitMs` for the first messages. */
  pull(subscription: string, maxMessages: number, waitMs: number): PullWaiter {
    this.broker.findSubscriptionOrThrow(subscription);
    if (maxMessages <= 0) throw invalidArgument('No max_messages specified');
    const waiter = new PullWaiter(this.newLeaseholderId('pull'), Math.min(maxMessages, MAX_MESSAGES_PER_RESPONSE), (done) =>
      this.detach(subscription, done),
    );
    this.attach(subscription, waiter);
    if (waitMs <= 0) waiter.giveUp();
    else waiter.giveUpAfter(waitMs);
    return waiter;
  }

  acknowledge(subscription: string, ackIds: readonly string[], options: AckOptions = {}): void {
    const { queue } = this.broker.findSubscriptionOrThrow(subscription);
    queue.acknowledge(this.validAckIds(subscription, ackIds, options));
    this.deliverPending(subscription);
  }

  /** ModifyAckDeadline: 0 seconds is a nack (redelivery, subject to the retry policy), more extends the lease. */
  modifyAckDeadline(subscription: string, ackIds: readonly string[], seconds: number, options: AckOptions = {}): void {
    const { queue } = this.broker.findSubscriptionOrThrow(subscription);
    if (seconds < 0 || seconds > MAX_ACK_DEADLINE_SECONDS) {
      throw invalidArgument(`Invalid ack deadline given: ${seconds}. It must be between 0 and ${MAX_ACK_DEADLINE_SECONDS} seconds`);
    }
    const valid = this.validAckIds(subscription, ackIds, options);
    const now = this.clock();
    if (seconds === 0) this.broker.forwardToDeadLetterTopic(subscription, queue.nack(valid, now));
    else queue.extendLeases(valid, seconds * 1000, now);
    this.deliverPending(subscription);
  }

  /** Hands deliverable messages to the subscription's consumers and re-arms its timer. */
  deliverPending(subscription: string): void {
    const record = this.broker.findSubscription(subscription);
    if (!record || this.stopped) return;
    const dispatch = this.dispatchOf(subscription);
    // Dead-lettering publishes, and publishing may call back in here; finish this round, then go again.
    if (dispatch.pumping) {
      dispatch.pumpAgain = true;
      return;
    }
    dispatch.pumping = true;
    try {
      do {
        dispatch.pumpAgain = false;
        this.pumpOnce(subscription, record, dispatch);
      } while (dispatch.pumpAgain);
    } finally {
      dispatch.pumping = false;
    }
    this.armTimer(subscription, record, dispatch);
  }

  subscriptionDeleted(subscription: string): void {
    this.closeDispatch(subscription, notFound('Subscription does not exist'));
  }

  /** Ends every stream and waiting pull and clears every timer, so the process can exit. */
  shutdown(): void {
    this.stopped = true;
    for (const subscription of [...this.dispatches.keys()]) {
      this.closeDispatch(subscription, unavailable('The emulator is shutting down'));
    }
  }

  private pumpOnce(subscription: string, record: SubscriptionRecord, dispatch: SubscriptionDispatch): void {
    const now = this.clock();
    this.broker.forwardToDeadLetterTopic(subscription, record.queue.expireLeases(now));
    const consumers = [...dispatch.consumers];
    const start = consumers.length ? dispatch.cursor++ % consumers.length : 0;
    for (let i = 0; i < consumers.length; i += 1) {
      const consumer = consumers[(start + i) % consumers.length];
      const capacity = consumer.capacity();
      if (!capacity) continue;
      const deliveries: Delivery[] = record.queue.lease(now, {
        leaseholder: consumer.leaseholder,
        ackDeadlineMs: capacity.ackDeadlineMs ?? record.settings.ackDeadlineSeconds * 1000,
        maxOutstandingMessages: capacity.maxOutstandingMessages,
        maxOutstandingBytes: capacity.maxOutstandingBytes,
        maxBatch: MAX_MESSAGES_PER_RESPONSE,
      });
      if (deliveries.length) consumer.deliver(deliveries);
    }
  }

  private armTimer(subscription: string, record: SubscriptionRecord, dispatch: SubscriptionDispatch): void {
    const now = this.clock();
    const at = record.queue.nextTimerAt(now);
    if (at === dispatch.timerAt) return;
    clearTimeout(dispatch.timer);
    dispatch.timer = undefined;
    dispatch.timerAt = at;
    if (at === undefined) return;
    dispatch.timer = setTimeout(() => {
      dispatch.timer = undefined;
      dispatch.timerAt = undefined;
      this.deliverPending(subscription);
    }, Math.max(1, at - now));
    // The gRPC server keeps the process alive while it runs; a pending redelivery must not.
    dispatch.timer.unref();
  }

  private validAckIds(subscription: string, ackIds: readonly string[], options: AckOptions): string[] {
    const { queue } = this.broker.findSubscriptionOrThrow(subscription);
    const valid = ackIds.filter((ackId) => queue.isOwnAckIdFormat(ackId));
    if (!options.lenient) {
      if (ackIds.length === 0) throw invalidArgument('No ack ids specified');
      const invalid = ackIds.find((ackId) => !queue.isOwnAckIdFormat(ackId));
      if (invalid !== undefined) throw invalidArgument(`Invalid ack id (ack_id=${invalid})`);
    }
    return valid;
  }

  private dispatchOf(subscription: string): SubscriptionDispatch {
    let dispatch = this.dispatches.get(subscription);
    if (!dispatch) {
      dispatch = { consumers: [], cursor: 0, pumping: false, pumpAgain: false };
      this.dispatches.set(subscription, dispatch);
    }
    return dispatch;
  }

  private closeDispatch(subscription: string, error: PubSubApiError): void {
    const dispatch = this.dispatches.get(subscription);
    if (!dispatch) return;
    clearTimeout(dispatch.timer);
    this.dispatches.delete(subscription);
    for (const consumer of [...dispatch.consumers]) consumer.terminate(error);
  }
}
