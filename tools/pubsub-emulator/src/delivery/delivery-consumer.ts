import { PubSubApiError } from '../api/api-error';
import { Delivery } from '../queue/subscription-queue';

/** How much a consumer may be handed now; flow-control limits cover everything it holds (0 = no limit). */
export interface ConsumerCapacity {
  /** The lease length for what it receives; unset = the subscription's `ackDeadlineSeconds` (unary Pull). */
  readonly ackDeadlineMs?: number;
  readonly maxOutstandingMessages: number;
  readonly maxOutstandingBytes: number;
}

/** Something messages of one subscription are handed to: a StreamingPull stream or a waiting Pull call. */
export interface DeliveryConsumer {
  /** Identifies its leases in the queue, for flow control. */
  readonly leaseholder: string;
  /** Undefined while it cannot take anything (finished, or its stream is not draining). */
  capacity(): ConsumerCapacity | undefined;
  deliver(deliveries: Delivery[]): void;
  /** Ends it with an error status: its subscription was deleted, or the emulator is stopping. */
  terminate(error: PubSubApiError): void;
}
