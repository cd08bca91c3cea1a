import { ServerErrorResponse, status } from '@grpc/grpc-js';

export type Log = (line: string) => void;

/**
 * An error the emulator answers with, carrying the gRPC status code the real service would use.
 * The client library branches on these codes (`topic.get({ autoCreate: true })` creates on NOT_FOUND,
 * callers treat ALREADY_EXISTS as "someone else created it"), so the codes matter more than the text.
 */
export class PubSubApiError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'PubSubApiError';
  }
}

export const invalidArgument = (message: string) => new PubSubApiError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new PubSubApiError(status.NOT_FOUND, message);
export const alreadyExists = (message: string) => new PubSubApiError(status.ALREADY_EXISTS, message);
export const outOfRange = (message: string) => new PubSubApiError(status.OUT_OF_RANGE, message);
export const unimplemented = (message: string) => new PubSubApiError(status.UNIMPLEMENTED, message);
export const unavailable = (message: string) => new PubSubApiError(status.UNAVAILABLE, message);

/** API errors keep their status code; anything else is a bug in the emulator, logged and answered INTERNAL. */
export function toServiceError(method: string, error: unknown, log: Log): ServerErrorResponse {
  if (error instanceof PubSubApiError) {
    return Object.assign(new Error(error.message), { code: error.code, details: error.message });
  }
  log(`${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  const message = `Internal emulator error in ${method}: ${error instanceof Error ? error.message : String(error)}`;
  return Object.assign(new Error(message), { code: status.INTERNAL, details: message });
}
