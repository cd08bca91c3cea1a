import { ServerDuplexStream } from '@grpc/grpc-js';
import { PubSubBroker } from '../broker/pubsub-broker';
import { ConsumerCapacity, DeliveryConsumer } from '../delivery/delivery-consumer';
import { DeliveryEngine } from '../delivery/delivery-engine';
import { Delivery } from '../queue/subscription-queue';
import { invalidArgument, Log, PubSubApiError, toServiceError } from './api-error';
import { StreamingPullRequest, StreamingPullResponse } from './pubsub-wire.types';
import { toWireReceivedMessage } from './wire-messages';

/** The real service takes 10-600 s; like subscription deadlines, the emulator accepts from 1 s for fast tests. */
const MIN_STREAM_ACK_DEADLINE_SECONDS = 1;
const MAX_STREAM_ACK_DEADLINE_SECONDS = 600;

/**
 * One StreamingPull call. The first request names the subscription, the stream's ack deadline and its
 * flow control; every request may carry acks and deadline changes (the Node client sends those as
 * unary calls instead and only keeps the stream alive with empty requests). Messages are pushed as the
 * delivery engine hands them over, within this stream's own flow control.
 *
 * Closing the stream does not return the messages it holds: as in the real service they stay leased
 * until acked, nacked or their deadline passes (the Node client nacks them when it closes).
 */
export class StreamingPullSession implements DeliveryConsumer {
  readonly leaseholder: string;
  private subscription?: string;
  private ackDeadlineMs = 0;
  private maxOutstandingMessages = 0;
  private maxOutstandingBytes = 0;
  private messageOrderingEnabled = false;
  /** False while grpc-js's send buffer is full; resumes on 'drain'. */
  private writable = true;
  private finished = false;

  constructor(
    private readonly call: ServerDuplexStream<StreamingPullRequest, StreamingPullResponse>,
    private readonly broker: PubSubBroker,
    private readonly engine: DeliveryEngine,
    private readonly log: Log,
  ) {
    this.leaseholder = engine.newLeaseholderId('stream');
  }

  start(): void {
    this.call.on('data', (request: StreamingPullRequest) => this.onRequest(request));
    // The client half-closed: it will not ack on this stream any more, so end it with OK.
    this.call.on('end', () => {
      if (this.finish()) this.call.end();
    });
    this.call.on('cancelled', () => this.finish());
    this.call.on('close', () => this.finish());
  }

  capacity(): ConsumerCapacity | undefined {
    if (this.finished || !this.writable) return undefined;
    return {
      ackDeadlineMs: this.ackDeadlineMs,
      maxOutstandingMessages: this.maxOutstandingMessages,
      maxOutstandingBytes: this.maxOutstandingBytes,
    };
  }

  deliver(deliveries: Delivery[]): void {
    const flushed = this.call.write({
      receivedMessages: deliveries.map(toWireReceivedMessage),
      subscriptionProperties: { exactlyOnceDeliveryEnabled: false, messageOrderingEnabled: this.messageOrderingEnabled },
    });
    if (!flushed) {
      this.writable = false;
      this.call.once('drain', () => {
        this.writable = true;
        if (this.subscription) this.engine.deliverPending(this.subscription);
      });
    }
  }

  terminate(error: PubSubApiError): void {
    if (!this.finish()) return;
    // grpc-js turns an 'error' event on a server stream into the call's final status.
    this.call.emit('error', toServiceError('StreamingPull', error, this.log));
  }

  private onRequest(request: StreamingPullRequest): void {
    if (this.finished) return;
    try {
      let subscription = this.subscription;
      if (subscription === undefined) subscription = this.open(request);
      else if (request.streamAckDeadlineSeconds) this.ackDeadlineMs = readStreamAckDeadlineMs(request.streamAckDeadlineSeconds);
      this.applyAcksAndDeadlines(subscription, request);
    } catch (error) {
      if (error instanceof PubSubApiError) this.terminate(error);
      else if (this.finish()) this.call.emit('error', toServiceError('StreamingPull', error, this.log));
    }
  }

  /** Handles the first request; returns the subscription the stream is bound to. */
  private open(request: StreamingPullRequest): string {
    if (!request.subscription) throw invalidArgument('The first StreamingPull request must name the subscription');
    const { settings } = this.broker.findSubscriptionOrThrow(request.subscription);
    this.ackDeadlineMs = readStreamAckDeadlineMs(request.streamAckDeadlineSeconds);
    this.maxOutstandingMessages = Math.max(0, request.maxOutstandingMessages);
    this.maxOutstandingBytes = Math.max(0, request.maxOutstandingBytes);
    this.messageOrderingEnabled = settings.enableMessageOrdering;
    this.subscription = request.subscription;
    this.engine.attach(request.subscription, this);
    return request.subscription;
  }

  private applyAcksAndDeadlines(subscription: string, request: StreamingPullRequest): void {
    if (request.ackIds.length) this.engine.acknowledge(subscription, request.ackIds, { lenient: true });
    if (request.modifyDeadlineSeconds.length !== request.modifyDeadlineAckIds.length) {
      throw invalidArgument('modify_deadline_seconds and modify_deadline_ack_ids must have the same length');
    }
    const ackIdsBySeconds = new Map<number, string[]>();
    request.modifyDeadlineAckIds.forEach((ackId, i) => {
      const seconds = request.modifyDeadlineSeconds[i];
      ackIdsBySeconds.set(seconds, [...(ackIdsBySeconds.get(seconds) ?? []), ackId]);
    });
    for (const [seconds, ackIds] of ackIdsBySeconds) {
      this.engine.modifyAckDeadline(subscription, ackIds, seconds, { lenient: true });
    }
  }

  /** Stops deliveries to this stream; false if that had already happened. */
  private finish(): boolean {
    if (this.finished) return false;
    this.finished = true;
    if (this.subscription) this.engine.detach(this.subscription, this);
    return true;
  }
}

function readStreamAckDeadlineMs(seconds: number): number {
  if (seconds < MIN_STREAM_ACK_DEADLINE_SECONDS || seconds > MAX_STREAM_ACK_DEADLINE_SECONDS) {
    throw invalidArgument(
      `Invalid stream_ack_deadline_seconds: ${seconds}. It must be between ${MIN_STREAM_ACK_DEADLINE_SECONDS} and ${MAX_STREAM_ACK_DEADLINE_SECONDS}`,
    );
  }
  return seconds * 1000;
}
