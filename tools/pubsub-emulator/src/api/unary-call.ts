import { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js';
import { Log, toServiceError } from './api-error';

/** Adapts a handler that returns or throws into a gRPC unary method. */
export function unaryCall<Request, Response>(
  method: string,
  log: Log,
  handle: (request: Request, call: ServerUnaryCall<Request, Response>) => Response | Promise<Response>,
): handleUnaryCall<Request, Response> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handle(call.request, call))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(method, error, log)),
      );
  };
}
