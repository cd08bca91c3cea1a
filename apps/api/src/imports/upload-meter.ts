import { DomainError } from '@pulse/errors';
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** The upload was larger than allowed; what was stored of it is discarded. */
export class UploadTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The upload is larger than ${maxBytes} bytes.`);
  }
}

/**
 * The client stopped sending the body (its connection closed) before the upload ended; nothing was
 * stored. A client error, not an outage: the socket errors it comes with would otherwise read as the
 * database being unreachable.
 */
export class UploadAbortedError extends DomainError<'upload_aborted'> {
  constructor(cause: unknown) {
    super('invalid_input', 'upload_aborted', 'The connection closed before the whole body was received; nothing was stored. Send the file again.', [], { cause });
  }
}

/**
 * Passes the body through unchanged while counting and hashing it (SHA-256), so an Idempotency-Key can
 * be bound to the content of a body that is never held in memory, and cuts it off past `maxBytes`.
 */
export class UploadMeter extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new UploadTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** Hex SHA-256 of everything that passed; call once the stream has ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
