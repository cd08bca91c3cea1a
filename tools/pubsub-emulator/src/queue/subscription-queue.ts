import { RetryBackoff, retryDelayMs } from './retry-backoff';
import { messageSize, StoredMessage } from './stored-message';

/**
 * The message backlog of one subscription: which messages are waiting, which are leased to whom until
 * when, how often each was delivered, and what happens when a lease ends without an ack.
 *
 * Pure state: every method that depends on time takes `now` (epoch ms), and the caller asks
 * `nextTimerAt` when to come back. That keeps the delivery rules testable with a fake clock; timers and
 * streams live in the delivery engine.
 */

export interface DeadLetterRule {
  readonly maxDeliveryAttempts: number;
  /**
   * Whether forwarding is possible right now (the dead-letter topic exists). While it is not, the
   * message stays and keeps being redelivered rather than being lost.
   */
  readonly canForward: () => boolean;
}

export interface QueuePolicy {
  readonly deadLetter?: DeadLetterRule;
  readonly retryBackoff?: RetryBackoff;
  /** `enableMessageOrdering`: messages sharing an ordering key are handed out one run at a time, in order. */
  readonly orderedByKey: boolean;
}

/** What one consumer (a StreamingPull stream or a Pull call) may take now. */
export interface LeaseRequest {
  readonly leaseholder: string;
  readonly ackDeadlineMs: number;
  /** Flow control over everything this leaseholder holds; 0 = no limit. */
  readonly maxOutstandingMessages: number;
  readonly maxOutstandingBytes: number;
  /** Cap on the size of this one batch (one response). */
  readonly maxBatch: number;
}

export interface Delivery {
  readonly ackId: string;
  readonly message: StoredMessage;
  /** 1 on first delivery; 0 unless the subscription has a dead-letter policy, as in the real service. */
  readonly deliveryAttempt: number;
}

export interface DeadLetteredMessage {
  readonly message: StoredMessage;
  readonly deliveryAttempts: number;
}

export interface Outstanding {
  readonly messages: number;
  readonly bytes: number;
}

interface Lease {
  readonly holder: string;
  deadline: number;
}

interface Entry {
  readonly sequence: number;
  readonly message: StoredMessage;
  readonly size: number;
  deliveryAttempts: number;
  /** Not deliverable before this time (retry backoff). */
  availableAt: number;
  /** Of the latest delivery. It stays valid after the lease ended until the next delivery, so a late ack still counts. */
  ackId?: string;
  lease?: Lease;
}

const NO_OUTSTANDING: Outstanding = { messages: 0, bytes: 0 };

export class SubscriptionQueue {
  /** In publish order: entries are never re-inserted, so iteration order is delivery priority. */
  private readonly entries = new Map<number, Entry>();
  private readonly entriesByAckId = new Map<string, Entry>();
  private readonly outstandingByHolder = new Map<string, Outstanding>();
  private readonly leasedCountByOrderingKey = new Map<string, number>();
  private nextSequence = 1;

  /**
   * @param ackIdPrefix the subscription name; ack ids read `<subscription>:<n>` like the SDK emulator's.
   * @param nextAckNumber the broker's counter, so that a subscription deleted and made again under its
   *   name never hands out an ack id its former self did (a late ack of an old message would take a new one).
   */
  constructor(
    private readonly ackIdPrefix: string,
    private policy: QueuePolicy,
    private readonly nextAckNumber: () => number = counter(),
  ) {}

  updatePolicy(policy: QueuePolicy): void {
    this.policy = policy;
  }

  /** Messages not yet acknowledged, leased or not. */
  get backlogSize(): number {
    return this.entries.size;
  }

  enqueue(message: StoredMessage, now: number): void {
    const sequence = this.nextSequence++;
    this.entries.set(sequence, { sequence, message, size: messageSize(message), deliveryAttempts: 0, availableAt: now });
  }

  /** Whether `ackId` has the shape of an id this subscription hands out (known or not). */
  isOwnAckIdFormat(ackId: string): boolean {
    return ackId.startsWith(`${this.ackIdPrefix}:`) && /^\d+$/.test(ackId.slice(this.ackIdPrefix.length + 1));
  }

  outstandingOf(holder: string): Outstanding {
    return this.outstandingByHolder.get(holder) ?? NO_OUTSTANDING;
  }

  /** Leases the next deliverable messages to one consumer, within its flow control. */
  lease(now: number, request: LeaseRequest): Delivery[] {
    const batch: Delivery[] = [];
    // Ordering keys that may not be handed out in this batch, and those whose run this batch started.
    const blockedKeys = new Set<string>();
    const keysInBatch = new Set<string>();
    for (const entry of this.entries.values()) {
      if (batch.length >= request.maxBatch) break;
      if (entry.lease) continue;
      const key = this.policy.orderedByKey ? entry.message.orderingKey : '';
      if (key) {
        if (blockedKeys.has(key)) continue;
        // The first waiting message of a key may only go out when nothing of that key is in flight
        // (unless this very batch started the run), and a later one never overtakes an earlier one.
        const inFlightElsewhere = this.leasedCountByOrderingKey.has(key) && !keysInBatch.has(key);
        if (inFlightElsewhere || entry.availableAt > now) {
          blockedKeys.add(key);
          continue;
        }
      } else if (entry.availableAt > now) {
        continue;
      }
      if (!this.fitsFlowControl(request, entry)) break;
      batch.push(this.startLease(entry, request.leaseholder, now + request.ackDeadlineMs));
      if (key) keysInBatch.add(key);
    }
    return batch;
  }

  /** Removes acknowledged messages; ids that are unknown or superseded by a redelivery are ignored. */
  acknowledge(ackIds: readonly string[]): void {
    for (const ackId of ackIds) {
      const entry = this.entriesByAckId.get(ackId);
      if (entry) this.remove(entry);
    }
  }

  /** Moves the deadline of current leases to `now + deadlineMs` (ModifyAckDeadline with seconds > 0). */
  extendLeases(ackIds: readonly string[], deadlineMs: number, now: number): void {
    for (const ackId of ackIds) {
      const entry = this.entriesByAckId.get(ackId);
      if (entry?.lease) entry.lease.deadline = now + deadlineMs;
    }
  }

  /** Ends current leases as failed deliveries (ModifyAckDeadline with 0 seconds). */
  nack(ackIds: readonly string[], now: number): DeadLetteredMessage[] {
    const deadLettered: DeadLetteredMessage[] = [];
    for (const ackId of ackIds) {
      const entry = this.entriesByAckId.get(ackId);
      if (entry?.lease) this.failDelivery(entry, now, deadLettered);
    }
    return deadLettered;
  }

  /** Ends leases whose deadline has passed as failed deliveries. */
  expireLeases(now: number): DeadLetteredMessage[] {
    const deadLettered: DeadLetteredMessage[] = [];
    for (const entry of this.entries.values()) {
      if (entry.lease && entry.lease.deadline <= now) this.failDelivery(entry, now, deadLettered);
    }
    return deadLettered;
  }

  /** The next time something changes by itself: a lease expires or a backed-off message becomes deliverable. */
  nextTimerAt(now: number): number | undefined {
    let next: number | undefined;
    for (const entry of this.entries.values()) {
      const at = entry.lease ? entry.lease.deadline : entry.availableAt > now ? entry.availableAt : undefined;
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  private fitsFlowControl(request: LeaseRequest, entry: Entry): boolean {
    const held = this.outstandingOf(request.leaseholder);
    if (request.maxOutstandingMessages > 0 && held.messages >= request.maxOutstandingMessages) return false;
    // A message larger than the byte limit still goes out alone, or it would block the stream for good.
    return request.maxOutstandingBytes <= 0 || held.messages === 0 || held.bytes + entry.size <= request.maxOutstandingBytes;
  }

  private startLease(entry: Entry, holder: string, deadline: number): Delivery {
    if (entry.ackId) this.entriesByAckId.delete(entry.ackId);
    const ackId = `${this.ackIdPrefix}:${this.nextAckNumber()}`;
    entry.ackId = ackId;
    this.entriesByAckId.set(ackId, entry);
    entry.deliveryAttempts += 1;
    entry.lease = { holder, deadline };
    this.addOutstanding(holder, entry, +1);
    const key = entry.message.orderingKey;
    if (key) this.leasedCountByOrderingKey.set(key, (this.leasedCountByOrderingKey.get(key) ?? 0) + 1);
    return {
      ackId,
      message: entry.message,
      deliveryAttempt: this.policy.deadLetter ? entry.deliveryAttempts : 0,
    };
  }

  private endLease(entry: Entry): void {
    const lease = entry.lease;
    if (!lease) return;
    entry.lease = undefined;
    this.addOutstanding(lease.holder, entry, -1);
    const key = entry.message.orderingKey;
    if (key) {
      const count = (this.leasedCountByOrderingKey.get(key) ?? 1) - 1;
      if (count > 0) this.leasedCountByOrderingKey.set(key, count);
      else this.leasedCountByOrderingKey.delete(key);
    }
  }

  private failDelivery(entry: Entry, now: number, deadLettered: DeadLetteredMessage[]): void {
    this.endLease(entry);
    const rule = this.policy.deadLetter;
    if (rule && entry.deliveryAttempts >= rule.maxDeliveryAttempts && rule.canForward()) {
      this.remove(entry);
      deadLettered.push({ message: entry.message, deliveryAttempts: entry.deliveryAttempts });
      return;
    }
    const backoff = this.policy.retryBackoff;
    entry.availableAt = now + (backoff ? retryDelayMs(backoff, entry.deliveryAttempts) : 0);
    if (this.policy.orderedByKey && entry.message.orderingKey) this.recallLaterLeasesOfKey(entry);
  }

  /**
   * When a message of an ordered key goes back for redelivery, the later messages of that key still in
   * flight go back too, so the consumer sees the key in order again (the real service redelivers them as
   * well). Recalling is not a failed delivery: it neither counts towards dead-lettering nor backs off.
   */
  private recallLaterLeasesOfKey(failed: Entry): void {
    for (const entry of this.entries.values()) {
      if (entry.sequence > failed.sequence && entry.lease && entry.message.orderingKey === failed.message.orderingKey) {
        this.endLease(entry);
      }
    }
  }

  private remove(entry: Entry): void {
    this.endLease(entry);
    this.entries.delete(entry.sequence);
    if (entry.ackId) this.entriesByAckId.delete(entry.ackId);
  }

  private addOutstanding(holder: string, entry: Entry, sign: 1 | -1): void {
    const held = this.outstandingOf(holder);
    const next = { messages: held.messages + sign, bytes: held.bytes + sign * entry.size };
    if (next.messages > 0) this.outstandingByHolder.set(holder, next);
    else this.outstandingByHolder.delete(holder);
  }
}

function counter(): () => number {
  let next = 1;
  return () => next++;
}
