import { ValidationError } from '@pulse/errors';

/** The field errors a refused cursor (or any input) throws; fails the test when nothing is thrown. */
export function fieldErrorsOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error instanceof ValidationError ? error.fieldErrors : error;
  }
  throw new Error('expected the cursor to be refused');
}

/** A cursor as a client could edit one: any JSON, base64url-encoded like the real ones. */
export const forgedCursor = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
