/** A published message as every subscription of its topic holds it (immutable; shared by the fan-out). */
export interface StoredMessage {
  readonly messageId: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey: string;
  /** Epoch milliseconds. */
  readonly publishTime: number;
}

/** Roughly what the real service counts against `max_outstanding_bytes`: payload, attributes and key. */
export function messageSize(message: StoredMessage): number {
  let size = message.data.length + Buffer.byteLength(message.orderingKey);
  for (const [key, value] of Object.entries(message.attributes)) {
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  return size;
}
